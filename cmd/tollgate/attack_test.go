package main

// Regression tests for the findings of the attack on the audit and gen
// (issue 14) that need the command itself: real files in a temporary
// directory, the built binary, real signals. Each is named after its
// finding; docs/security.md ("The audit and gen") has the threat model.
// The reader's share (ragged rows, header-less and CR files, long lines,
// the PBKDF2 estimate) is in internal/audit/attack_test.go.

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// buildTollgate builds the command into a temporary directory.
func buildTollgate(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "tollgate")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// tollgateIn runs the binary in dir with stdin (nil: none) and returns its
// exit status and standard error.
func tollgateIn(t *testing.T, bin, dir string, stdin io.Reader, stdout io.Writer, args ...string) (int, string) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Stdin = stdin
	cmd.Stdout = stdout
	var errb bytes.Buffer
	cmd.Stderr = &errb
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), errb.String()
	}
	if err != nil {
		t.Fatal(err)
	}
	return 0, errb.String()
}

const attackUsers = "Alias,Extension,PIN\nann,20001,123456\nbob,20002,802417\n"

// fileState is what a test checks did not change: content and mode.
func fileState(t *testing.T, path string) string {
	t.Helper()
	fi, err := os.Lstat(path)
	if err != nil {
		return "missing: " + err.Error()
	}
	if !fi.Mode().IsRegular() {
		return fi.Mode().String()
	}
	b, _ := os.ReadFile(path)
	return fi.Mode().String() + " " + string(b)
}

// leftovers lists the temporary files a directory holds (.NAME.tmp-*).
func leftovers(t *testing.T, dir string) []string {
	m, _ := filepath.Glob(filepath.Join(dir, ".*.tmp-*"))
	return m
}

// Finding 10: `audit -o INPUT` truncated the export before reading it,
// `--summary INPUT` overwrote it, `gen --in F -o F --force` deleted F, and
// `gen --force` onto a device node changed its mode (and deleted it on
// interrupt). An output is never an input (same file by inode: through a
// symlink and a hard link too), reports are written beside themselves and
// renamed into place, and nothing that is not a regular file this process
// created is ever truncated, chmod-ed or removed; streams still work.
func TestAttackAuditAndGenDestroyFiles(t *testing.T) {
	bin := buildTollgate(t)
	// Each case gets its own directory: users.csv, a symlink and a hard
	// link to it, a policy and an existing report.
	fresh := func(t *testing.T) string {
		dir := t.TempDir()
		users := filepath.Join(dir, "users.csv")
		os.WriteFile(users, []byte(attackUsers), 0o640)
		os.Symlink("users.csv", filepath.Join(dir, "link.csv"))
		os.Link(users, filepath.Join(dir, "hard.csv"))
		os.WriteFile(filepath.Join(dir, "policy.json"), []byte(`{"extends":"cuc"}`), 0o600)
		os.WriteFile(filepath.Join(dir, "exists.json"), []byte("a report\n"), 0o644)
		return dir
	}
	const before = "-rw-r----- " + attackUsers
	const policyBefore = `-rw------- {"extends":"cuc"}`

	refused := []struct {
		name  string
		stdin string // a file in dir given as standard input
		args  []string
		want  string
	}{
		{"audit -o INPUT", "", []string{"audit", "--engine", "native", "-o", "users.csv", "users.csv"}, "-o: users.csv is the input file"},
		{"audit -o ./INPUT", "", []string{"audit", "--engine", "native", "-o", "./users.csv", "DIR/users.csv"}, "is the input file"},
		{"audit -o SYMLINK", "", []string{"audit", "--engine", "native", "-o", "link.csv", "users.csv"}, "-o: link.csv is the input file"},
		{"audit -o HARDLINK", "", []string{"audit", "--engine", "native", "-o", "hard.csv", "users.csv"}, "-o: hard.csv is the input file"},
		{"audit -o INPUT < INPUT", "users.csv", []string{"audit", "--engine", "native", "-o", "users.csv", "-"}, "is the input file"},
		{"audit --summary INPUT", "", []string{"audit", "--engine", "native", "--summary", "link.csv", "users.csv"}, "--summary: link.csv is the input file"},
		{"audit -o POLICY", "", []string{"audit", "--engine", "native", "--policy", "policy.json", "-o", "policy.json", "users.csv"}, "is the input file"},
		{"audit --summary REPORT", "", []string{"audit", "--engine", "native", "-o", "exists.json", "--summary", "exists.json", "users.csv"}, "--summary: exists.json is also -o"},
		{"audit --summary REPORT (new)", "", []string{"audit", "--engine", "native", "-o", "new.json", "--summary", "./new.json", "users.csv"}, "--summary: ./new.json is also -o"},
		{"gen --in F -o F --force", "", []string{"gen", "--engine", "native", "--in", "users.csv", "-o", "users.csv", "--force"}, "-o: users.csv is the input file"},
		{"gen -o SYMLINK --force", "", []string{"gen", "--engine", "native", "--in", "users.csv", "-o", "link.csv", "--force"}, "is the input file"},
		{"gen --in - -o F < F", "users.csv", []string{"gen", "--engine", "native", "--in", "-", "-o", "hard.csv", "--force"}, "is the input file"},
	}
	for _, c := range refused {
		t.Run(c.name, func(t *testing.T) {
			dir := fresh(t)
			users, policy := filepath.Join(dir, "users.csv"), filepath.Join(dir, "policy.json")
			var stdin io.Reader
			if c.stdin != "" {
				f, err := os.Open(filepath.Join(dir, c.stdin))
				if err != nil {
					t.Fatal(err)
				}
				defer f.Close()
				stdin = f
			}
			args := append([]string(nil), c.args...)
			for i := range args {
				args[i] = strings.ReplaceAll(args[i], "DIR", dir)
			}
			code, errs := tollgateIn(t, bin, dir, stdin, nil, args...)
			if code != exitUsage || !strings.Contains(errs, c.want) {
				t.Errorf("exit %d, stderr %q; want 2 and %q", code, errs, c.want)
			}
			if got := fileState(t, users); got != before {
				t.Errorf("the input changed: %q, was %q", got, before)
			}
			if got := fileState(t, policy); got != policyBefore {
				t.Errorf("the policy changed")
			}
			if got := fileState(t, filepath.Join(dir, "exists.json")); got != "-rw-r--r-- a report\n" {
				t.Errorf("the existing report changed: %q", got)
			}
			if l := leftovers(t, dir); len(l) > 0 {
				t.Errorf("left %v", l)
			}
			if _, err := os.Stat(filepath.Join(dir, "new.json")); err == nil {
				t.Errorf("a refused run created its report")
			}
		})
	}

	// A report replaces the old one whole, keeping its mode; a symlink to
	// a report stays a symlink.
	t.Run("report replaced in place", func(t *testing.T) {
		dir := fresh(t)
		report := filepath.Join(dir, "r.json")
		os.WriteFile(report, []byte(strings.Repeat("old\n", 1000)), 0o600)
		os.Chmod(report, 0o664) // bits the usual umask (022) would take away
		os.Symlink("r.json", filepath.Join(dir, "r-link.json"))
		code, errs := tollgateIn(t, bin, dir, nil, nil, "audit", "--engine", "native", "--format", "json", "-o", "r-link.json", "--summary", "s.json", "users.csv")
		b, _ := os.ReadFile(report)
		fi, _ := os.Stat(report)
		li, _ := os.Lstat(filepath.Join(dir, "r-link.json"))
		if code != exitRefused || bytes.Contains(b, []byte("old")) || bytes.Count(b, []byte("\n")) != 2 || fi.Mode().Perm() != 0o664 || li.Mode()&fs.ModeSymlink == 0 {
			t.Errorf("exit %d (%s): mode %v, link %v, report %q", code, errs, fi.Mode(), li.Mode(), b)
		}
		if l := leftovers(t, dir); len(l) > 0 {
			t.Errorf("left %v", l)
		}
	})

	// Devices and pipes are streamed to: never chmod-ed, never removed.
	t.Run("gen --force onto a device node", func(t *testing.T) {
		dir := fresh(t)
		node := filepath.Join(dir, "null")
		if out, err := exec.Command("mknod", "-m", "0666", node, "c", "1", "3").CombinedOutput(); err != nil {
			t.Skipf("mknod: %v %s", err, out)
		}
		code, errs := tollgateIn(t, bin, dir, nil, nil, "gen", "--engine", "native", "--in", "users.csv", "-o", "null", "--force")
		if fi, err := os.Stat(node); err != nil || fi.Mode() != fs.ModeDevice|fs.ModeCharDevice|0o666 {
			t.Fatalf("the node changed: %v, %v", fi.Mode(), err)
		}
		if code != exitUsage || !strings.Contains(errs, "null is a terminal or device") {
			t.Errorf("gen: exit %d: %s", code, errs)
		}
		// The audit may write its report to one: streamed.
		code, errs = tollgateIn(t, bin, dir, nil, nil, "audit", "--engine", "native", "-o", "null", "--summary", "null", "users.csv")
		if fi, err := os.Stat(node); err != nil || fi.Mode() != fs.ModeDevice|fs.ModeCharDevice|0o666 || code != exitRefused {
			t.Errorf("audit: exit %d (%s), node %v, %v", code, errs, fi.Mode(), err)
		}
	})
	t.Run("a FIFO as -o", func(t *testing.T) {
		dir := fresh(t)
		fifo := filepath.Join(dir, "fifo")
		if out, err := exec.Command("mkfifo", "-m", "0640", fifo).CombinedOutput(); err != nil {
			t.Skipf("mkfifo: %v %s", err, out)
		}
		for _, args := range [][]string{
			{"audit", "--engine", "native", "--format", "csv", "-o", "fifo", "users.csv"},
			{"gen", "--engine", "native", "--in", "users.csv", "-o", "fifo"},
		} {
			got := make(chan []byte)
			go func() {
				f, err := os.Open(fifo)
				if err != nil {
					got <- nil
					return
				}
				b, _ := io.ReadAll(f)
				f.Close()
				got <- b
			}()
			code, errs := tollgateIn(t, bin, dir, nil, nil, args...)
			var b []byte
			select {
			case b = <-got:
			case <-time.After(10 * time.Second):
				// Nothing opened the FIFO: release the reader.
				if f, err := os.OpenFile(fifo, os.O_WRONLY, 0); err == nil {
					f.Close()
				}
				b = <-got
			}
			recs, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
			if code == exitUsage || err != nil || len(recs) < 3 {
				t.Errorf("%s: exit %d (%s): %d records, %v", args[0], code, errs, len(recs), err)
			}
			if fi, err := os.Lstat(fifo); err != nil || fi.Mode() != fs.ModeNamedPipe|0o640 {
				t.Errorf("%s: the FIFO changed: %v %v", args[0], fi.Mode(), err)
			}
		}
	})
	t.Run("-o /dev/stdout", func(t *testing.T) {
		dir := fresh(t)
		// stdout a file the shell opened and wrote to: the report follows
		// what is there.
		p := filepath.Join(dir, "redirected.txt")
		f, _ := os.Create(p)
		f.WriteString("before\n")
		code, errs := tollgateIn(t, bin, dir, nil, f, "audit", "--engine", "native", "--format", "json", "-o", "/dev/stdout", "users.csv")
		f.Close()
		b, _ := os.ReadFile(p)
		if code != exitRefused || !strings.HasPrefix(string(b), "before\n{\"line\":2,") || strings.Count(string(b), "\n") != 3 {
			t.Errorf("exit %d (%s): %q", code, errs, b)
		}
		// stdout a pipe.
		var out bytes.Buffer
		code, errs = tollgateIn(t, bin, dir, nil, &out, "audit", "--engine", "native", "--format", "json", "-o", "/dev/stdout", "users.csv")
		if code != exitRefused || strings.Count(out.String(), "\n") != 2 {
			t.Errorf("pipe: exit %d (%s): %q", code, errs, out.String())
		}
	})

	// A run killed before it ends leaves the old report, never a
	// truncated one (and its temporary file, which a kill cannot remove).
	t.Run("killed audit leaves the old report", func(t *testing.T) {
		dir := fresh(t)
		big := bigExport(t, dir, 400000)
		report := filepath.Join(dir, "old.json")
		os.WriteFile(report, []byte("the old report\n"), 0o644)
		cmd, done := startIn(t, bin, dir, nil, "audit", "--engine", "native", "--workers", "1", "--format", "json", "-o", "old.json", big)
		tmp := waitForOutput(t, dir, "old.json", done)
		cmd.Process.Kill()
		<-done
		if got := fileState(t, report); got != "-rw-r--r-- the old report\n" {
			t.Errorf("after kill -9 the report is %.100q", got)
		}
		os.Remove(tmp)
	})
	t.Run("interrupted gen leaves the old PIN file", func(t *testing.T) {
		dir := fresh(t)
		users := filepath.Join(dir, "many.csv")
		var b strings.Builder
		b.WriteString("Alias,Extension\n")
		for i := range 300000 {
			fmt.Fprintf(&b, "u%d,%d\n", i, 100000+i)
		}
		os.WriteFile(users, []byte(b.String()), 0o600)
		pins := filepath.Join(dir, "pins.csv")
		os.WriteFile(pins, []byte("Alias,Extension,PIN\r\nold,1,839201\r\n"), 0o600)
		pinsBefore := fileState(t, pins)
		var errb bytes.Buffer
		cmd, done := startIn(t, bin, dir, &errb, "gen", "--engine", "native", "--in", "many.csv", "-o", "pins.csv", "--force")
		waitForOutput(t, dir, "pins.csv", done)
		cmd.Process.Signal(os.Interrupt)
		err := <-done
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != exitUsage || !strings.Contains(errb.String(), "tollgate gen: interrupted: no PIN written to pins.csv") {
			t.Errorf("gen: %v: %s", err, errb.String())
		}
		if got := fileState(t, pins); got != pinsBefore {
			t.Errorf("the old PIN file changed: %.100q", got)
		}
		if l := leftovers(t, dir); len(l) > 0 {
			t.Errorf("left %v", l)
		}
	})
}

// bigExport writes a users file of n rows into dir (once per size).
func bigExport(t *testing.T, dir string, n int) string {
	t.Helper()
	p := filepath.Join(dir, "big-"+strconv.Itoa(n)+".csv")
	if _, err := os.Stat(p); err == nil {
		return p
	}
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(f)
	w.WriteString("Alias,Extension,PIN\n")
	for i := range n {
		fmt.Fprintf(w, "u%d,%d,%06d\n", i, 100000+i, i*7919%1000000)
	}
	w.Flush()
	f.Close()
	return p
}

// startIn starts the binary in dir; done receives what Wait returns.
func startIn(t *testing.T, bin, dir string, stderr io.Writer, args ...string) (*exec.Cmd, chan error) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir, cmd.Stderr = dir, stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() { cmd.Process.Kill() })
	return cmd, done
}

// waitForOutput waits until the process is writing rows to target in
// dir: its temporary file holds something (returned), or, with no
// temporary file, target itself does (""). The result of a process that
// ends first is put back on done.
func waitForOutput(t *testing.T, dir, target string, done chan error) string {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		m, _ := filepath.Glob(filepath.Join(dir, "."+target+".tmp-*"))
		for _, p := range m {
			if fi, err := os.Stat(p); err == nil && fi.Size() > 0 {
				return p
			}
		}
		if fi, err := os.Stat(filepath.Join(dir, target)); err == nil && fi.Size() > 4096 && len(m) == 0 {
			return ""
		}
		select {
		case err := <-done:
			done <- err
			t.Errorf("%s: the process ended before writing rows: %v", target, err)
			return ""
		case <-time.After(2 * time.Millisecond):
		}
	}
	t.Fatalf("no output for %s", target)
	return ""
}

// Finding 13: an interrupted JSON Lines or CSV report carried no partial
// marker. A real `tollgate audit`, interrupted by SIGINT while it writes
// a large file's rows, ends both with one: the report is the rows before
// the interruption, then the marker, and exit status 2.
func TestAttackInterruptedReportsUnmarked(t *testing.T) {
	bin := buildTollgate(t)
	dir := t.TempDir()
	big := bigExport(t, dir, 400000)
	for _, format := range []string{"json", "csv"} {
		report := "report." + format
		var errb bytes.Buffer
		cmd, done := startIn(t, bin, dir, &errb, "audit", "--engine", "native", "--workers", "1", "--format", format, "-o", report, "--summary", "summary.json", big)
		if waitForOutput(t, dir, report, done) == "" {
			// The old code writes the report in place: interrupt once it grows.
			t.Logf("%s: no temporary file", format)
		}
		cmd.Process.Signal(os.Interrupt)
		err := <-done
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != exitUsage {
			t.Fatalf("%s: %v: %s", format, err, errb.String())
		}
		var sum struct {
			Rows        int
			Interrupted bool
		}
		sb, _ := os.ReadFile(filepath.Join(dir, "summary.json"))
		if json.Unmarshal(sb, &sum) != nil || !sum.Interrupted || sum.Rows == 0 || sum.Rows >= 400000 {
			t.Fatalf("%s: summary %s", format, sb)
		}
		if !strings.Contains(errb.String(), fmt.Sprintf("interrupted: the report holds the first %d rows", sum.Rows)) {
			t.Errorf("%s: stderr %q", format, errb.String())
		}
		b, err := os.ReadFile(filepath.Join(dir, report))
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
		last := lines[len(lines)-1]
		want := fmt.Sprintf("interrupted: the report holds the first %d rows of the input, to line %d;", sum.Rows, sum.Rows+1)
		switch format {
		case "json":
			var m struct {
				Partial  bool   `json:"partial"`
				Rows     int    `json:"rows"`
				LastLine int    `json:"last_line"`
				Message  string `json:"message"`
			}
			if err := json.Unmarshal([]byte(last), &m); err != nil || !m.Partial || m.Rows != sum.Rows || m.LastLine != sum.Rows+1 || !strings.HasPrefix(m.Message, want) {
				t.Errorf("json: last line %q (%v)", last, err)
			}
			if len(lines) != sum.Rows+1 || !strings.HasPrefix(lines[sum.Rows-1], fmt.Sprintf(`{"line":%d,`, sum.Rows+1)) {
				t.Errorf("json: %d lines for %d rows", len(lines), sum.Rows)
			}
		case "csv":
			recs, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			end := recs[len(recs)-1]
			if end[0] != "" || end[3] != "partial" || !strings.HasPrefix(end[5], want) {
				t.Errorf("csv: last row %q", end)
			}
			if prev := recs[len(recs)-2]; prev[0] != strconv.Itoa(sum.Rows+1) {
				t.Errorf("csv: the row before the marker is line %s, want %d", prev[0], sum.Rows+1)
			}
		}
		if l := leftovers(t, dir); len(l) > 0 {
			t.Errorf("%s: left %v", format, l)
		}
	}
}

// Findings 2, 3 and 4 through the command: no PIN, password or record of
// a ragged, header-less or CR file reaches stdout, stderr or --summary,
// in any format, on either engine.
func TestAttackNoSecretInCLIOutput(t *testing.T) {
	dir := t.TempDir()
	const rows = "ann,802417,Hunter22x!,{SSHA}qVX2aHwQdb7O5vAEpD+VnKz8oiB6ZE3Y,1001\n" +
		"bob,739164,S3cretPw!\n" +
		"cid,\"123456,Kx93qq!v,x,1003\n"
	secrets := []string{"802417", "Hunter22x!", "{SSHA}", "739164", "S3cretPw!", "123456", "Kx93qq!v"}
	files := map[string]string{
		"ragged.csv":     "Extension,Alias,PIN,Password\nHunter22x!,739164,S3cretPw!\n802417,Kx93qq!v\n",
		"headerless.csv": rows,
		"cr.csv":         strings.ReplaceAll("Alias,PIN,Password,PinHash,Extension\n"+rows, "\n", "\r"),
		"cr-nohdr.csv":   strings.ReplaceAll(rows, "\n", "\r"),
	}
	for name, data := range files {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(data), 0o600)
		for _, engine := range []string{"native", "wasm"} {
			for _, format := range []string{"table", "csv", "json", "html"} {
				sum := filepath.Join(dir, "s.json")
				os.Remove(sum)
				_, out, errs := runCLI(t, "", "audit", "--engine", engine, "--format", format, "--summary", sum, p)
				sb, _ := os.ReadFile(sum)
				all := out + errs + string(sb)
				for _, s := range secrets {
					if strings.Contains(all, s) {
						t.Errorf("%s, %s, %s: the output shows %q:\n%s", name, engine, format, s, all)
					}
				}
			}
		}
		_, _, errs := runCLI(t, "", "gen", "--engine", "native", "--in", p, "-o", filepath.Join(dir, "pins-"+name))
		for _, s := range secrets {
			if strings.Contains(errs, s) {
				t.Errorf("gen %s: stderr shows %q: %s", name, s, errs)
			}
		}
	}
}
