package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tollgate/tollgate/internal/testenv"
)

const sampleCSV = "../../testdata/csv/sample-users.csv"

func runCLI(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

func TestAuditCLIExitStatus(t *testing.T) {
	dir := t.TempDir()
	clean := filepath.Join(dir, "clean.csv")
	os.WriteFile(clean, []byte("Alias,Extension,PIN\nann,20001,802417\n"), 0o600)
	for _, c := range []struct {
		name  string
		stdin string
		args  []string
		code  int
		want  string // in stdout+stderr
	}{
		{"findings", "", []string{"audit", "--engine", "native", sampleCSV}, exitRefused, "300 rows, "},
		{"nothing found", "", []string{"audit", "--engine", "native", clean}, exitOK, "1 rows, 0 with findings"},
		{"flags after the file", "", []string{"audit", clean, "--engine", "native", "--format", "json"}, exitOK, `{"line":2,"alias":"ann","findings":[]}`},
		{"stdin", "Alias,PIN\nbob,123456\n", []string{"audit", "--engine", "native", "--format", "csv", "-"}, exitRefused, "2,bob,,sequential,pin,"},
		{"missing file", "", []string{"audit", "--engine", "native", filepath.Join(dir, "nope.csv")}, exitUsage, "no such file"},
		{"no file", "", []string{"audit"}, exitUsage, "want exactly one input file"},
		{"bad format", "", []string{"audit", "--format", "pdf", clean}, exitUsage, `unknown format "pdf"`},
		{"bad policy", "", []string{"audit", "--engine", "native", "--policy", "strict", clean}, exitUsage, "not a built-in profile"},
		{"header without auditable column", "Alias,City\nx,y\n", []string{"audit", "--engine", "native", "-"}, exitUsage, "no column to audit"},
		// The summary names a tables file by its name, not as "file".
		{"tables file named", "", []string{"audit", "--engine", "native", "--tables", "../../testdata/tables/sample.json", clean}, exitOK, "tables ../../testdata/tables/sample.json, native engine"},
		{"wasm engine", "Alias,PIN\nbob,123456\n", []string{"audit", "--engine", "wasm", "--format", "json", "-"}, exitRefused, `"code":"sequential"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, out, errs := runCLI(t, c.stdin, c.args...)
			if code != c.code || !strings.Contains(out+errs, c.want) {
				t.Errorf("exit %d, want %d; output lacks %q:\n%s\n%s", code, c.code, c.want, out, errs)
			}
		})
	}
}

// A --policy or --tables file is a document, whatever its first byte: a
// users file given by mistake was taken for a profile name and quoted, its
// first PINs with it, in the "not a built-in profile" error; a policy file
// holding a JSON string names a profile (docs/policy.md).
func TestAuditCLIDocumentFileNeverAName(t *testing.T) {
	dir := t.TempDir()
	users := filepath.Join(dir, "users.csv")
	os.WriteFile(users, []byte("Alias,PIN\nann,918273\n"), 0o600)
	named := filepath.Join(dir, "p.json")
	os.WriteFile(named, []byte(`"cucm"`), 0o600)
	sum := filepath.Join(dir, "s.json")
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--policy", users}, exitUsage, "malformed JSON at line 1, column 1"},
		{[]string{"--tables", users}, exitUsage, "--tables: dialplan: "},
		{[]string{"--policy", named, "--summary", sum, "-o", os.DevNull}, exitRefused, ""},
	} {
		for _, engine := range []string{"native", "wasm"} {
			code, out, errs := runCLI(t, "", append(append([]string{"audit", "--engine", engine}, c.args...), users)...)
			if code != c.code || !strings.Contains(errs, c.want) || strings.Contains(out+errs, "918273") {
				t.Errorf("%s %v: exit %d, want %d; stderr (want %q, and no PIN):\n%s", engine, c.args, code, c.code, c.want, errs)
			}
		}
	}
	if b, _ := os.ReadFile(sum); !bytes.Contains(b, []byte(`"policy": "cucm"`)) {
		t.Errorf("a policy file holding \"cucm\" is the cucm profile; summary:\n%s", b)
	}
}

func TestAuditCLIFiles(t *testing.T) {
	dir := t.TempDir()
	report, summary := filepath.Join(dir, "r.json"), filepath.Join(dir, "s.json")
	code, out, errs := runCLI(t, "", "audit", "--engine", "native", "--format", "json", "-o", report, "--summary", summary, sampleCSV)
	if code != exitRefused || out != "" {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errs)
	}
	b, _ := os.ReadFile(report)
	if n := bytes.Count(b, []byte("\n")); n != 300 {
		t.Errorf("report has %d lines, want 300", n)
	}
	var s struct {
		Rows    int            `json:"rows"`
		BadRows int            `json:"bad_rows"`
		ByCode  map[string]int `json:"by_code"`
		ByCOS   map[string]int `json:"by_cos"`
	}
	sb, _ := os.ReadFile(summary)
	if err := json.Unmarshal(sb, &s); err != nil {
		t.Fatal(err)
	}
	if s.Rows != 300 || s.BadRows != 5 || s.ByCode["shared_pin"] == 0 || s.ByCOS["Executives"] == 0 {
		t.Errorf("summary %+v", s)
	}
}

// The wasm and native engines give the same report (and each gives one:
// two failed runs would agree on an empty one). That each command really
// runs the engine it names is TestEveryCommandHonoursEngine.
func TestAuditCLIEnginesAgree(t *testing.T) {
	nc, native, nerr := runCLI(t, "", "audit", "--engine", "native", "--format", "json", sampleCSV)
	wc, wasm, werr := runCLI(t, "", "audit", "--engine", "wasm", "--format", "json", sampleCSV)
	if nc != exitRefused || wc != exitRefused || strings.Count(native, "\n") != 300 {
		t.Fatalf("exit %d and %d, %d records; stderr %q %q", nc, wc, strings.Count(native, "\n"), nerr, werr)
	}
	if native != wasm {
		t.Errorf("native and wasm reports differ")
	}
}

// headless runs Chromium on a file: URL with args (--screenshot=...,
// --dump-dom) and returns its standard output.
func headless(t *testing.T, chromium, dir, url string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	full := append([]string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
		"--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir=" + filepath.Join(dir, "profile")}, args...)
	var out, errb bytes.Buffer
	cmd := exec.CommandContext(ctx, chromium, append(full, url)...)
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium %v: %v\n%s", args, err, errb.String())
	}
	return out.String()
}

// The HTML report renders in a real browser with nothing but the file
// itself, its script filters, groups and pages the findings, and the page
// stays a few screens high (it was 18,000 pixels for the 300-row sample).
// Set TOLLGATE_SCREENSHOT=path to keep the screenshot.
func TestAuditHTMLInChromium(t *testing.T) {
	chromium, err := exec.LookPath("chromium")
	testenv.Need(t, "chromium", err == nil, "make js-deps installs it")
	dir := t.TempDir()
	report := filepath.Join(dir, "report.html")
	if code, _, errs := runCLI(t, "", "audit", "--engine", "native", "--format", "html", "-o", report, sampleCSV); code != exitRefused {
		t.Fatalf("exit %d: %s", code, errs)
	}
	_, js, _ := runCLI(t, "", "audit", "--engine", "native", "--format", "json", sampleCSV)
	type finding struct{ line, code, cos string }
	var all []finding
	for _, l := range strings.Split(strings.TrimSpace(js), "\n") {
		var r struct {
			Line     int
			COS      string
			Findings []struct{ Code string }
		}
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatal(err)
		}
		if r.COS == "" {
			r.COS = "(none)" // as the summary and the page count it
		}
		for _, f := range r.Findings {
			all = append(all, finding{strconv.Itoa(r.Line), f.Code, r.COS})
		}
	}
	url := "file://" + report

	t.Run("screenshot", func(t *testing.T) {
		const height = 8000
		shot := filepath.Join(dir, "out.png")
		headless(t, chromium, dir, url, "--screenshot="+shot, fmt.Sprintf("--window-size=1280,%d", height))
		f, err := os.Open(shot)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		img, err := png.Decode(f)
		if err != nil {
			t.Fatal(err)
		}
		b := img.Bounds()
		if b.Dx() != 1280 || b.Dy() != height {
			t.Fatalf("screenshot is %v", b)
		}
		// A rendered report has the chart bars' red, amber and blue; a
		// blank or unstyled page has none of them. The page ends where the
		// last pixel other than the background is.
		colours := map[[3]uint32]bool{}
		end := 0
		for y := b.Min.Y; y < b.Max.Y; y += 4 {
			for x := b.Min.X; x < b.Max.X; x += 4 {
				r, g, bl, _ := img.At(x, y).RGBA()
				c := [3]uint32{r >> 8, g >> 8, bl >> 8}
				colours[c] = true
				if c != [3]uint32{0xf6, 0xf7, 0xf9} {
					end = y
				}
			}
		}
		for _, want := range [][3]uint32{{0xc0, 0x39, 0x2b}, {0xd6, 0x89, 0x10}, {0x2e, 0x6d, 0xa4}} {
			if !colours[want] {
				t.Errorf("no pixel of colour %x in the screenshot: the charts did not render", want)
			}
		}
		if end > 4500 {
			t.Errorf("the page is %d pixels high, want a few screens (one page of findings)", end)
		}
		if keep := os.Getenv("TOLLGATE_SCREENSHOT"); keep != "" {
			data, _ := os.ReadFile(shot)
			os.WriteFile(keep, data, 0o644)
		}
	})

	rowRE := regexp.MustCompile(`<tr data-line="(\d+)" data-code="([^"]*)" data-field="[^"]*" data-cos="([^"]*)">`)
	rows := func(dom string) []finding {
		var out []finding
		for _, m := range rowRE.FindAllStringSubmatch(dom, -1) {
			out = append(out, finding{m[1], m[2], m[3]})
		}
		return out
	}

	t.Run("first page", func(t *testing.T) {
		dom := headless(t, chromium, dir, url, "--dump-dom")
		got := rows(dom)
		if len(got) != 50 || got[0] != all[0] || got[49] != all[49] {
			t.Errorf("%d rows shown, want the first 50 of %d", len(got), len(all))
		}
		pages := (len(all) + 49) / 50
		if want := fmt.Sprintf(`<span class="f-page">page 1 of %d</span>`, pages); !strings.Contains(dom, want) {
			t.Errorf("no %s in the page", want)
		}
		if strings.Contains(dom, `id="tools" hidden`) {
			t.Errorf("the script did not reveal the filters")
		}
	})

	t.Run("filtered by code and class of service", func(t *testing.T) {
		var want []finding
		for _, f := range all {
			if f.code == "shared_pin" && f.cos == "Executives" {
				want = append(want, f)
			}
		}
		got := rows(headless(t, chromium, dir, url+"#code=shared_pin&cos=Executives", "--dump-dom"))
		if len(want) < 2 || fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("shown %v\nwant %v", got, want)
		}
	})

	t.Run("grouped by code", func(t *testing.T) {
		dom := headless(t, chromium, dir, url+"#group=code", "--dump-dom")
		codes := map[string]int{}
		for _, f := range all {
			codes[f.code]++
		}
		heads := regexp.MustCompile(`<tr class="group"><th colspan="6"><button class="toggle" type="button" aria-expanded="false">▸ ([a-z_]+)</button><span class="count">(\d+) findings?`).FindAllStringSubmatch(dom, -1)
		if len(heads) != len(codes) || len(rows(dom)) != 0 {
			t.Fatalf("%d collapsed groups and %d rows shown, want %d groups and none", len(heads), len(rows(dom)), len(codes))
		}
		for _, h := range heads {
			if strconv.Itoa(codes[h[1]]) != h[2] {
				t.Errorf("group %s: %s findings, want %d", h[1], h[2], codes[h[1]])
			}
		}
	})

	// Classes of service named as Object.prototype's members: the filter
	// counted "toString" onto the inherited function and dropped
	// "__proto__", and grouping by "constructor" threw (groups[v] was
	// Object), leaving the table empty.
	t.Run("grouped by classes of service named __proto__, toString, constructor", func(t *testing.T) {
		odd := filepath.Join(dir, "proto.csv")
		os.WriteFile(odd, []byte("Alias,PIN,COS\na1,1234,__proto__\na2,5678,toString\na3,1111,constructor\na4,2580,constructor\n"), 0o600)
		page := filepath.Join(dir, "proto.html")
		if code, _, errs := runCLI(t, "", "audit", "--engine", "native", "--format", "html", "-o", page, odd); code != exitRefused {
			t.Fatalf("exit %d: %s", code, errs)
		}
		dom := headless(t, chromium, dir, "file://"+page+"#group=cos", "--dump-dom")
		heads := regexp.MustCompile(`<tr class="group"><th colspan="6"><button class="toggle" type="button" aria-expanded="false">▸ ([A-Za-z_]+)</button><span class="count">\d+ findings? · (\d+) users?`).FindAllStringSubmatch(dom, -1)
		got := map[string]string{}
		for _, h := range heads {
			got[h[1]] = h[2]
		}
		if want := map[string]string{"__proto__": "1", "toString": "1", "constructor": "2"}; fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("groups by class of service %v, want %v", got, want)
		}
		for _, opt := range []string{`<option value="constructor">constructor (`, `<option value="__proto__">__proto__ (`, `<option value="toString">toString (`} {
			if !strings.Contains(dom, opt) {
				t.Errorf("the class of service filter lacks %s", opt)
			}
		}
	})

	// A script the CSP does not name does not run (a copy whose script
	// is altered by one character), and the page without it still lists
	// every finding, with the controls hidden.
	t.Run("without the script", func(t *testing.T) {
		page, err := os.ReadFile(report)
		if err != nil {
			t.Fatal(err)
		}
		altered := strings.Replace(string(page), "var PAGE = 50;", "var PAGE = 49;", 1)
		if altered == string(page) {
			t.Fatal("the script has no PAGE constant to alter")
		}
		noJS := filepath.Join(dir, "nojs.html")
		os.WriteFile(noJS, []byte(altered), 0o644)
		dom := headless(t, chromium, dir, "file://"+noJS, "--dump-dom")
		if got := rows(dom); fmt.Sprint(got) != fmt.Sprint(all) {
			t.Errorf("%d rows in the page without its script, want all %d", len(got), len(all))
		}
		if !strings.Contains(dom, `id="tools" hidden`) {
			t.Errorf("the controls show without the script")
		}
	})
}

// Standard error is not a terminal here: no progress bar, only notes.
func TestAuditCLINoProgressWhenNotATerminal(t *testing.T) {
	_, _, errs := runCLI(t, "", "audit", "--engine", "native", "--format", "json", sampleCSV)
	if strings.ContainsAny(errs, "\r[#") {
		t.Errorf("stderr has a progress bar: %q", errs)
	}
}

// The bar draws the audit's fraction, rounded down: 100 % only at the end.
func TestAuditProgressBar(t *testing.T) {
	for _, tc := range []struct {
		rows int
		done float64
		want []string
	}{
		{500, 0.25, []string{"[######..................]  25%", "500 rows", "ETA 3s"}},
		{999, 0.999, []string{" 99%", "999 rows"}},
		{1000, 1, []string{"[########################] 100%", "1000 rows", "ETA 0s"}},
		{500, -1, []string{"audit: 500 rows  "}},
		// 0.7 s in, 0.2 done: 2.8 s to go, rounded, not cut to 2 s.
		{200, 0.2, []string{"200 rows", "ETA 3s"}},
	} {
		var bar bytes.Buffer
		start := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
		el := time.Second
		if tc.rows == 200 {
			el = 700 * time.Millisecond
		}
		p := &progressBar{w: &bar, start: start, now: func() time.Time { return start.Add(el) }}
		p.update(tc.rows, tc.done)
		p.clear()
		s := bar.String()
		for _, w := range tc.want {
			if !strings.Contains(s, w) {
				t.Errorf("update(%d, %v) = %q, want %q in it", tc.rows, tc.done, s, w)
			}
		}
		if tc.done < 0 && strings.ContainsAny(s, "[%") {
			t.Errorf("update(%d, %v) = %q: a bar without a known size", tc.rows, tc.done, s)
		}
	}
}
