package main

import (
	"bytes"
	"encoding/csv"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/tollgate/tollgate/core"
)

func TestGenCLI(t *testing.T) {
	dir := t.TempDir()
	users := filepath.Join(dir, "users.csv")
	var b strings.Builder
	b.WriteString("Alias,First Name,Last Name,Extension,Date Of Birth\n")
	for i := range 400 {
		b.WriteString("u" + strconv.Itoa(i) + ",Ann,Lee," + strconv.Itoa(20000+i) + ",1980-07-04\n")
	}
	b.WriteString("broken,\"Ann\n")
	os.WriteFile(users, []byte(b.String()), 0o600)
	pins := filepath.Join(dir, "pins.csv")

	code, _, errs := runCLI(t, "", "gen", "--engine", "native", "--in", users, "-o", pins)
	if code != exitRefused || !strings.Contains(errs, "line 402 skipped: broken quoting") || !strings.Contains(errs, "400 PINs written") {
		t.Fatalf("exit %d: %s", code, errs)
	}
	fi, err := os.Stat(pins)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, err %v", fi.Mode(), err)
	}
	if strings.Contains(errs, "PIN,") {
		t.Errorf("stderr shows the file")
	}
	data, _ := os.ReadFile(pins)
	recs, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil || len(recs) != 401 || strings.Join(recs[0], ",") != "Alias,Extension,PIN" {
		t.Fatalf("output: %d records, err %v", len(recs), err)
	}
	p, _ := core.Profile("cuc")
	seen := map[string]bool{}
	for _, r := range recs[1:] {
		pin := r[2]
		if seen[pin] {
			t.Fatalf("%s: a PIN given twice", r[0])
		}
		seen[pin] = true
		var v core.Verdict
		p.CheckPIN(pin, &core.PINContext{Extensions: []string{r[1]}, FirstName: "Ann", LastName: "Lee", DateOfBirth: "1980-07-04"}, &v)
		if !v.Accepted || len(pin) != 6 {
			t.Fatalf("%s: the generated PIN breaks the policy (%v) or has length %d", r[0], v.Reasons, len(pin))
		}
	}

	// Never overwritten without --force; with it, replaced and still 0600.
	code, _, errs = runCLI(t, "", "gen", "--engine", "native", "--in", users, "-o", pins)
	if code != exitUsage || !strings.Contains(errs, "not overwritten (use --force)") {
		t.Errorf("second run: exit %d: %s", code, errs)
	}
	if after, _ := os.ReadFile(pins); !bytes.Equal(after, data) {
		t.Errorf("the file changed without --force")
	}
	os.Chmod(pins, 0o644)
	code, _, errs = runCLI(t, "", "gen", "--engine", "native", "--length", "8", "--force", "--in", users, "-o", pins)
	if fi, _ := os.Stat(pins); code != exitRefused || fi.Mode().Perm() != 0o600 {
		t.Errorf("--force: exit %d, mode %v: %s", code, fi.Mode(), errs)
	}
	if after, _ := os.ReadFile(pins); bytes.Equal(after, data) || !bytes.Contains(after, []byte("\r\n")) {
		t.Errorf("--force did not replace the file")
	}
}

func TestGenCLIErrors(t *testing.T) {
	dir := t.TempDir()
	users := filepath.Join(dir, "users.csv")
	os.WriteFile(users, []byte("Alias,Extension\na,1001\nb,1002\n"), 0o600)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"gen", "--in", users}, "want --in FILE and -o FILE"},
		{[]string{"gen", "--in", users, "-o", "-"}, "-o must name a file"},
		{[]string{"gen", "--engine", "native", "--in", users, "-o", filepath.Join(dir, "p.csv"), "--length", "3"}, "allows PINs of 6 to"},
		{[]string{"gen", "--engine", "native", "--in", filepath.Join(dir, "none.csv"), "-o", filepath.Join(dir, "p2.csv")}, "no such file"},
	} {
		code, _, errs := runCLI(t, "", c.args...)
		if code != exitUsage || !strings.Contains(errs, c.want) {
			t.Errorf("%v: exit %d: %s", c.args, code, errs)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "p.csv")); err == nil {
		t.Errorf("a failed gen left its output file behind")
	}
	// More users than valid 4-digit PINs: gen says so instead of looping.
	var b strings.Builder
	b.WriteString("Alias\n")
	for i := range 10001 {
		b.WriteString("u" + strconv.Itoa(i) + "\n")
	}
	os.WriteFile(users, []byte(b.String()), 0o600)
	pol := filepath.Join(dir, "p.json")
	os.WriteFile(pol, []byte(`{"extends":"exchange-um","pin":{"min_length":4}}`), 0o600)
	code, _, errs := runCLI(t, "", "gen", "--engine", "native", "--policy", pol, "--length", "4", "--in", users, "-o", filepath.Join(dir, "p3.csv"))
	if code != exitUsage || !strings.Contains(errs, "too small for this many users") {
		t.Errorf("exhausted space: exit %d: %s", code, errs)
	}
}
