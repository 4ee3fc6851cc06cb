package export

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// docs/audit.md's column table is this package's alias table: the same
// fields, each with the same names in the same order (the first is the
// usual one), and the BAT devices on one line.
func TestDocsColumnTable(t *testing.T) {
	doc, err := os.ReadFile("../docs/audit.md")
	if err != nil {
		t.Fatal(err)
	}
	_, table, ok := strings.Cut(string(doc), "### Columns\n")
	if !ok {
		t.Fatal("docs/audit.md has no Columns section")
	}
	table, _, _ = strings.Cut(strings.TrimLeft(table, "\n"), "\n\n")
	code := regexp.MustCompile("`([a-z0-9_]+)`")
	documented := map[Field]bool{}
	for _, line := range strings.Split(table, "\n")[2:] {
		cells := strings.Split(strings.Trim(line, "| "), " | ")
		if len(cells) != 2 {
			t.Fatalf("row %q", line)
		}
		fields := code.FindAllStringSubmatch(cells[0], -1)
		names := code.FindAllStringSubmatch(cells[1], -1)
		if len(fields) > 1 { // the BAT devices: each field is its one name
			for _, m := range fields {
				f := fieldNamed(t, m[1])
				documented[f] = true
				if got := Names(f); len(got) != 1 || normalizeHeader(m[1]) != got[0] {
					t.Errorf("%s: names %v, want %q", f, got, normalizeHeader(m[1]))
				}
			}
			continue
		}
		f := fieldNamed(t, fields[0][1])
		documented[f] = true
		var want []string
		for _, m := range names {
			want = append(want, m[1])
		}
		if got := Names(f); strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("%s: the code has %v, docs/audit.md %v", f, got, want)
		}
	}
	for f := Field(1); f < numFields; f++ {
		if !documented[f] {
			t.Errorf("docs/audit.md's column table lacks %s", f)
		}
	}
}

func fieldNamed(t *testing.T, name string) Field {
	t.Helper()
	for f := Field(1); f < numFields; f++ {
		if f.String() == name {
			return f
		}
	}
	t.Fatalf("docs/audit.md names a field %q the code does not have", name)
	return 0
}
