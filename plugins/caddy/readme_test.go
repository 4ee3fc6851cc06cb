package tollgatecaddy

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tollgate/tollgate/internal/readme"
)

// readmeCaddyLine is the README's command for building Caddy with this
// module and validating a Caddyfile; the test runs it, with the binary and
// the Caddyfile in a temporary directory instead of plugins/caddy.
const readmeCaddyLine = "cd plugins/caddy && go build -o caddy ./cmd/caddy && ./caddy validate --config Caddyfile"

// TestREADMECaddyfile builds Caddy as the README says (this module's
// cmd/caddy) and runs the README's `caddy validate` on each of its
// caddyfile blocks — the adapter, then every module provisioned — and
// requires the block to be as `caddy fmt` writes it. (internal/readme's
// TestREADME runs the rest of the README and leaves these to this test.)
func TestREADMECaddyfile(t *testing.T) {
	if testing.Short() {
		t.Skip("builds Caddy")
	}
	md, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks, err := readme.Blocks(string(md))
	if err != nil {
		t.Fatalf("README.md: %v", err)
	}
	var caddyfiles []readme.Block
	found := false
	for _, b := range blocks {
		switch b.Info {
		case "caddyfile":
			caddyfiles = append(caddyfiles, b)
		case "sh":
			for _, c := range readme.Lines(b) {
				found = found || readme.Code(c.Cmd) == readmeCaddyLine
			}
		}
	}
	if !found {
		t.Errorf("README.md has no sh line %q; the test runs that command: update readmeCaddyLine with the README", readmeCaddyLine)
	}
	if len(caddyfiles) == 0 {
		t.Fatal("README.md has no ```caddyfile block")
	}

	dir := t.TempDir()
	caddyBin := filepath.Join(dir, "caddy")
	if out, err := exec.Command("go", "build", "-o", caddyBin, "./cmd/caddy").CombinedOutput(); err != nil {
		t.Fatalf("go build -o caddy ./cmd/caddy: %v\n%s", err, out)
	}
	// Caddy keeps its data and config under these; not in the user's home.
	env := append(os.Environ(), "HOME="+dir, "XDG_DATA_HOME="+filepath.Join(dir, "data"), "XDG_CONFIG_HOME="+filepath.Join(dir, "config"))
	for _, b := range caddyfiles {
		if err := os.WriteFile(filepath.Join(dir, "Caddyfile"), []byte(b.Text()), 0o644); err != nil {
			t.Fatal(err)
		}
		validate := exec.Command(caddyBin, "validate", "--config", "Caddyfile")
		validate.Dir, validate.Env = dir, env
		if out, err := validate.CombinedOutput(); err != nil || !bytes.Contains(out, []byte("Valid configuration")) {
			t.Errorf("README.md:%d: caddy validate --config Caddyfile: %v\n%s", b.Line, err, out)
		}
		adapt := exec.Command(caddyBin, "adapt", "--config", "Caddyfile")
		adapt.Dir, adapt.Env = dir, env
		if out, err := adapt.Output(); err != nil || !bytes.Contains(out, []byte(`"handler":"tollgate"`)) {
			t.Errorf("README.md:%d: caddy adapt: %v; the config has no tollgate handler:\n%s", b.Line, err, out)
		}
		fmtCmd := exec.Command(caddyBin, "fmt", "Caddyfile")
		fmtCmd.Dir, fmtCmd.Env = dir, env
		out, err := fmtCmd.Output()
		if err != nil {
			t.Errorf("README.md:%d: caddy fmt: %v", b.Line, err)
		} else if string(out) != b.Text() {
			t.Errorf("README.md:%d: the Caddyfile is not as caddy fmt writes it:\n%s", b.Line, diffLines(b.Text(), string(out)))
		}
	}
}

// diffLines names the first line where the shown Caddyfile and caddy
// fmt's differ.
func diffLines(shown, formatted string) string {
	s, f := strings.Split(shown, "\n"), strings.Split(formatted, "\n")
	for i := 0; i < max(len(s), len(f)); i++ {
		var a, b string
		if i < len(s) {
			a = s[i]
		}
		if i < len(f) {
			b = f[i]
		}
		if a != b {
			return fmt.Sprintf("line %d:\n  shown     %q\n  caddy fmt %q", i+1, a, b)
		}
	}
	return ""
}
