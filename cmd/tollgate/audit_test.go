package main

import (
	"bytes"
	"context"
	"encoding/json"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
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

// The HTML report renders in a real browser with nothing but the file
// itself. Set TOLLGATE_SCREENSHOT=path to keep the screenshot.
func TestAuditHTMLInChromium(t *testing.T) {
	chromium, err := exec.LookPath("chromium")
	testenv.Need(t, "chromium", err == nil, "make js-deps installs it")
	dir := t.TempDir()
	report := filepath.Join(dir, "report.html")
	if code, _, errs := runCLI(t, "", "audit", "--engine", "native", "--format", "html", "-o", report, sampleCSV); code != exitRefused {
		t.Fatalf("exit %d: %s", code, errs)
	}
	shot := filepath.Join(dir, "out.png")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
		"--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir="+filepath.Join(dir, "profile"), "--screenshot="+shot, "--window-size=1280,2000", "file://"+report)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("chromium: %v\n%s", err, out)
	}
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
	if b.Dx() != 1280 || b.Dy() != 2000 {
		t.Errorf("screenshot is %v", b)
	}
	// A rendered report has the chart bars' red, amber and blue; a blank
	// or unstyled page has none of them.
	colours := map[[3]uint32]bool{}
	for y := b.Min.Y; y < b.Max.Y; y += 4 {
		for x := b.Min.X; x < b.Max.X; x += 4 {
			r, g, bl, _ := img.At(x, y).RGBA()
			colours[[3]uint32{r >> 8, g >> 8, bl >> 8}] = true
		}
	}
	for _, want := range [][3]uint32{{0xc0, 0x39, 0x2b}, {0xd6, 0x89, 0x10}, {0x2e, 0x6d, 0xa4}} {
		if !colours[want] {
			t.Errorf("no pixel of colour %x in the screenshot: the charts did not render", want)
		}
	}
	if keep := os.Getenv("TOLLGATE_SCREENSHOT"); keep != "" {
		data, _ := os.ReadFile(shot)
		os.WriteFile(keep, data, 0o644)
	}
}

// Standard error is not a terminal here: no progress bar, only notes.
func TestAuditCLINoProgressWhenNotATerminal(t *testing.T) {
	_, _, errs := runCLI(t, "", "audit", "--engine", "native", "--format", "json", sampleCSV)
	if strings.ContainsAny(errs, "\r[#") {
		t.Errorf("stderr has a progress bar: %q", errs)
	}
	var bar bytes.Buffer
	p := &progressBar{w: &bar, size: 1000, start: time.Now().Add(-time.Second)}
	p.update(500, 250)
	p.clear()
	if s := bar.String(); !strings.Contains(s, "25%") || !strings.Contains(s, "500 rows") || !strings.Contains(s, "ETA 3s") {
		t.Errorf("progress line %q", s)
	}
}
