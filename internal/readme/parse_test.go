package readme

import (
	"reflect"
	"strings"
	"testing"
)

func TestBlocks(t *testing.T) {
	md := "# t\n\n```sh\nmake build\n```\n\ntext ```not a fence``` here\n\n" +
		"````\n```\ninner\n```\n````\n\n  ~~~go\n  x := 1\n   y\n  ~~~\n```\n$ a\n```\n"
	got, err := Blocks(md)
	if err != nil {
		t.Fatal(err)
	}
	want := []Block{
		{Info: "sh", Line: 3, Lines: []string{"make build"}},
		{Info: "", Line: 9, Lines: []string{"```", "inner", "```"}},
		{Info: "go", Line: 15, Lines: []string{"x := 1", " y"}},
		{Info: "", Line: 19, Lines: []string{"$ a"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %#v\nwant %#v", got, want)
	}
	if _, err := Blocks("a\n```sh\nx\n"); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("unclosed fence: error %v, want one naming line 2", err)
	}
}

func TestSession(t *testing.T) {
	b := Block{Line: 10, Lines: []string{
		"$ tollgate dial 900   # exit 1: blocked",
		"blocked  900",
		"",
		"$ tollgate a \\",
		"    --json",
		`{"x":1}`,
	}}
	if !IsSession(b) || IsSession(Block{Lines: []string{"tollgate audit [--policy P]"}}) {
		t.Fatal("IsSession")
	}
	got := Session(b)
	want := []Command{
		{Line: 11, Cmd: "tollgate dial 900   # exit 1: blocked", Output: []string{"blocked  900", ""}},
		{Line: 14, Cmd: "tollgate a \\\n    --json", Output: []string{`{"x":1}`}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %#v\nwant %#v", got, want)
	}
	lines := Lines(Block{Line: 1, Lines: []string{"# setup", "make build", "", "curl -s \\", "  localhost:1"}})
	if len(lines) != 2 || lines[0].Line != 3 || lines[1].Cmd != "curl -s \\\n  localhost:1" {
		t.Errorf("Lines: %#v", lines)
	}
}

func TestCommentAndExit(t *testing.T) {
	for _, c := range []struct {
		cmd, comment, code string
		exit               int
	}{
		{"tollgate pin 2580", "", "tollgate pin 2580", 0},
		{"tollgate pin 28883    # exit 1: refused (0 accepted, 2 usage error)", "exit 1: refused (0 accepted, 2 usage error)", "tollgate pin 28883", 1},
		{"tollgate lint   # the defaults; exit 1", "the defaults; exit 1", "tollgate lint", 1},
		{`curl -d '{"a":"#x"}' u#v   # sends "#x"`, `sends "#x"`, `curl -d '{"a":"#x"}' u#v`, 0},
		{`echo "a # b" \# c`, "", `echo "a # b" \# c`, 0},
		{"make test  # exits 2 when ...", "exits 2 when ...", "make test", 0},
		{"# exit 3", "exit 3", "", 3},
	} {
		if got := Comment(c.cmd); got != c.comment {
			t.Errorf("Comment(%q) = %q, want %q", c.cmd, got, c.comment)
		}
		if got := Code(c.cmd); got != c.code {
			t.Errorf("Code(%q) = %q, want %q", c.cmd, got, c.code)
		}
		if got := Exit(c.cmd); got != c.exit {
			t.Errorf("Exit(%q) = %d, want %d", c.cmd, got, c.exit)
		}
	}
}

func TestMatch(t *testing.T) {
	out := "a\nb\nc\nd\ne\n"
	for _, c := range []struct {
		name string
		want []string
		ok   bool
		say  string
	}{
		{"equal", []string{"a", "b", "c", "d", "e"}, true, ""},
		{"trailing blanks and blank last line", []string{"a  ", "b", "c", "d", "e\t", ""}, true, ""},
		{"a line differs", []string{"a", "b", "X", "d", "e"}, false, "line 3 differs"},
		{"a line edited out silently", []string{"a", "b", "d", "e"}, false, "line 3 differs"},
		{"output longer", []string{"a", "b", "c", "d"}, false, `output line 5 is not shown: "e"`},
		{"output shorter", []string{"a", "b", "c", "d", "e", "f"}, false, `shown line 6 is not printed: "f"`},
		{"excerpt head", []string{"a", "b", Elision}, true, ""},
		{"excerpt tail", []string{Elision, "d", "e"}, true, ""},
		{"excerpt middle", []string{Elision, "c", Elision}, true, ""},
		{"excerpt head and tail", []string{"a", Elision, "e"}, true, ""},
		{"excerpt runs in order", []string{"a", Elision, "c", Elision, "e"}, true, ""},
		{"excerpt gap may be empty", []string{"a", "b", Elision, "c", "d", "e"}, true, ""},
		{"excerpt head not at the start", []string{"b", Elision}, false, "at the start of the output"},
		{"excerpt tail not at the end", []string{Elision, "d"}, false, "at the end of the output"},
		{"excerpt out of order", []string{Elision, "d", Elision, "b", Elision}, false, `part 3 ("b", 1 lines) is not printed after output line 4`},
		{"excerpt run broken", []string{Elision, "b", "d", Elision}, false, "output line 2 starts it, but line 3 differs"},
		{"excerpt line edited", []string{"a", Elision, "E"}, false, "at the end"},
		{"excerpt overlapping head and tail", []string{"a", "b", "c", Elision, "c", "d", "e"}, false, "at the end"},
		{"an ellipsis inside a line is text", []string{"a…", Elision}, false, "at the start"},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := Match(c.want, out)
			if c.ok != (err == nil) || (err != nil && !strings.Contains(err.Error(), c.say)) {
				t.Errorf("Match(%q) = %v, want ok=%v saying %q", c.want, err, c.ok, c.say)
			}
		})
	}
	if err := Match(nil, ""); err != nil {
		t.Errorf("empty output shown as nothing: %v", err)
	}
	if err := Match(nil, "x\n"); err == nil {
		t.Error("output shown as nothing: no error")
	}
}

func TestSpans(t *testing.T) {
	md := "Run `make build`, then\n`tollgate serve --tables x\n--users u.csv` and ``a ` b``.\n\n```sh\n`not a span`\n```\n\\`escaped\\` `x`\n"
	got, err := Spans(md)
	if err != nil {
		t.Fatal(err)
	}
	want := []Span{
		{Line: 1, Text: "make build"},
		{Line: 2, Text: "tollgate serve --tables x --users u.csv"},
		{Line: 3, Text: "a ` b"},
		{Line: 8, Text: "x"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %#v\nwant %#v", got, want)
	}
}
