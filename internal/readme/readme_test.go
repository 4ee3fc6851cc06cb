package readme_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"go/format"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tollgate/tollgate/internal/readme"
)

// TestREADME runs README.md the way a newcomer would, top to bottom, in a
// copy of this checkout: every command of every sh block is run and must
// exit as its comment says (0 unless "exit N"); every "$ " command of a
// session is run and must print what the README shows (or, where the
// README shows "…", the excerpt in order); the Go program is formatted,
// built and run; the browser snippet's module script and any js block run
// in Node (the js/ package importable by its name); the
// command synopses and the inline `tollgate ...`, `make ...` and `--flag`
// spans name commands, targets and flags that exist. The README's own
// `make build` and `export PATH=...` put the command on PATH: no other
// tollgate is reachable. What is not run here is listed in notRun, each
// with the reason; an entry that matches nothing is an error.
//
// Rewrites, all for the shared machine: `tollgate serve` gets
// --listen 127.0.0.1:PORT on a free port and starts in the background
// (until the next serve or the end), later commands' localhost:8700 go to
// PORT, and a `kamailio` command runs with -c (check the configuration,
// then exit).
func TestREADME(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs every command of README.md")
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	md, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	blocks, err := readme.Blocks(string(md))
	if err != nil {
		t.Fatalf("README.md: %v", err)
	}
	r := &runner{t: t, dir: sandbox(t, root), used: map[int]bool{}}
	r.env = cleanEnv(t)
	defer r.stopService()
	for _, b := range blocks {
		r.block(b)
	}
	spans, err := readme.Spans(string(md))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range spans {
		r.span(s)
	}
	r.stopService()
	for i, n := range notRun {
		if !r.used[i] {
			t.Errorf("notRun entry %q matches nothing in README.md: remove it", n.match)
		}
	}
}

// notRun lists what TestREADME does not run: a sh command (its text
// without the comment) or a block (its fence line, "```" + info).
var notRun = []struct{ match, why string }{
	{"make test", "the whole suite, which runs this test; the lead's gate"},
	{"cd plugins/caddy && go build -o caddy ./cmd/caddy && ./caddy validate --config Caddyfile",
		"plugins/caddy is a nested module: its TestREADMECaddyfile builds Caddy this way and validates the README's Caddyfile"},
	{"```caddyfile", "validated (caddy validate, caddy fmt) by plugins/caddy's TestREADMECaddyfile"},
}

// fixtures are the files the README's commands name as the reader's own.
var fixtures = map[string]string{
	"pin.txt": "58273914\n",                  // "a file holding the secret"
	"pw.txt":  "Tr0ub4dor&3-Horse-Battery\n", // likewise
}

// readmePort is the service's default address as the README writes it.
var readmePort = regexp.MustCompile(`\b(localhost|127\.0\.0\.1):8700\b`)

type runner struct {
	t    *testing.T
	dir  string   // the sandbox: a copy of the checkout
	env  []string // the shell environment, as the README's exports leave it
	used map[int]bool

	svc     *exec.Cmd
	svcLog  *bytes.Buffer
	svcLine int
	svcDone chan error
	port    int

	flags map[string]bool // every subcommand's flags, once needed
}

func (r *runner) skipped(s string) bool {
	for i, n := range notRun {
		if s == n.match {
			r.used[i] = true
			r.t.Logf("not run: %s — %s", s, n.why)
			return true
		}
	}
	return false
}

func (r *runner) block(b readme.Block) {
	t := r.t
	if r.skipped("```" + b.Info) {
		return
	}
	switch {
	case b.Info == "sh":
		for _, c := range readme.Lines(b) {
			r.shLine(c)
		}
	case readme.IsSession(b):
		for _, c := range readme.Session(b) {
			r.sessionCommand(c)
		}
	case b.Info == "go":
		r.goProgram(b)
	case b.Info == "html":
		r.moduleScript(b)
	case b.Info == "js" || b.Info == "javascript" || b.Info == "mjs":
		r.node(b.Line, "js", b.Text())
	case b.Info == "json":
		if !json.Valid([]byte(b.Text())) {
			t.Errorf("README.md:%d: the json block does not parse", b.Line)
		}
	case (b.Info == "" || b.Info == "text") && len(b.Lines) > 0 && strings.HasPrefix(b.Lines[0], "tollgate "):
		for i, l := range b.Lines {
			if strings.HasPrefix(l, "tollgate ") {
				// A synopsis line may continue on indented lines.
				for j := i + 1; j < len(b.Lines) && strings.HasPrefix(b.Lines[j], " "); j++ {
					l += " " + b.Lines[j]
				}
				r.synopsis(b.Line+1+i, l)
			}
		}
	default:
		t.Errorf("README.md:%d: no rule to run or check a ```%s block: teach TestREADME one, or list it in notRun with the reason", b.Line, b.Info)
	}
}

// shLine runs one command of a sh block.
func (r *runner) shLine(c readme.Command) {
	t := r.t
	code := readme.Code(c.Cmd)
	if r.skipped(code) {
		return
	}
	switch {
	case strings.HasPrefix(code, "export "):
		r.export(c.Line, code)
	case strings.HasPrefix(code, "tollgate serve"):
		r.startService(c.Line, code)
	case strings.HasPrefix(code, "kamailio "):
		if _, err := exec.LookPath("kamailio"); err != nil {
			t.Errorf("README.md:%d: %s: kamailio is not installed (make integration-deps installs it)", c.Line, code)
			return
		}
		out, status := r.shell(c.Line, "kamailio -c "+strings.TrimPrefix(code, "kamailio "), 2*time.Minute)
		if status != 0 {
			t.Errorf("README.md:%d: %s: the configuration does not parse (kamailio -c exit %d):\n%s", c.Line, code, status, tail(out, 20))
		}
	default:
		out, status := r.shell(c.Line, r.rewrite(c.Line, c.Cmd), 5*time.Minute)
		if want := readme.Exit(c.Cmd); status != want {
			t.Errorf("README.md:%d: %s\nexit %d, the README says %d; it printed:\n%s", c.Line, code, status, want, tail(out, 30))
		}
	}
}

// sessionCommand runs a "$ " command and compares what it prints.
func (r *runner) sessionCommand(c readme.Command) {
	t := r.t
	code := readme.Code(c.Cmd)
	if r.skipped(code) {
		return
	}
	out, status := r.shell(c.Line, r.rewrite(c.Line, c.Cmd), 5*time.Minute)
	if want := readme.Exit(c.Cmd); status != want {
		t.Errorf("README.md:%d: $ %s\nexit %d, the README says %d; it printed:\n%s", c.Line, code, status, want, tail(out, 30))
	}
	if err := readme.Match(c.Output, out); err != nil {
		t.Errorf("README.md:%d: $ %s\nprints something else than the README shows: %v", c.Line, code, err)
	}
	// "# = CMD": the README says CMD is the same thing; it must print the same.
	if eq, ok := strings.CutPrefix(readme.Comment(c.Cmd), "= "); ok {
		out, _ := r.shell(c.Line, r.rewrite(c.Line, eq), 5*time.Minute)
		if err := readme.Match(c.Output, out); err != nil {
			t.Errorf("README.md:%d: %s, which the README says %s is, prints something else: %v", c.Line, eq, code, err)
		}
	}
}

// shell runs cmd with bash in the sandbox; it returns what it printed
// (stdout and stderr, interleaved as a terminal shows them) and the exit
// status.
func (r *runner) shell(line int, cmd string, limit time.Duration) (string, int) {
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	c := exec.CommandContext(ctx, "bash", "-o", "pipefail", "-c", cmd)
	c.Dir, c.Env = r.dir, r.env
	var out bytes.Buffer
	c.Stdout, c.Stderr = &out, &out
	err := c.Run()
	if ctx.Err() != nil {
		r.t.Errorf("README.md:%d: %s: still running after %v", line, cmd, limit)
	}
	if ee, ok := err.(*exec.ExitError); ok {
		return out.String(), ee.ExitCode()
	} else if err != nil {
		r.t.Fatalf("README.md:%d: %s: %v", line, cmd, err)
	}
	return out.String(), 0
}

// export applies an export line to the environment later commands get.
func (r *runner) export(line int, code string) {
	c := exec.Command("bash", "-c", code+"\nenv -0")
	c.Dir, c.Env = r.dir, r.env
	out, err := c.Output()
	if err != nil {
		r.t.Fatalf("README.md:%d: %s: %v", line, code, err)
	}
	r.env = strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00")
}

// rewrite points the README's localhost:8700 at the service the test
// started.
func (r *runner) rewrite(line int, cmd string) string {
	if !readmePort.MatchString(cmd) {
		return cmd
	}
	if r.svc == nil {
		r.t.Errorf("README.md:%d: %s: talks to the service, but no `tollgate serve` runs before it", line, readme.Code(cmd))
		return cmd
	}
	return readmePort.ReplaceAllString(cmd, "${1}:"+strconv.Itoa(r.port))
}

// startService starts a `tollgate serve` line on a free port and waits
// until /healthz answers.
func (r *runner) startService(line int, code string) {
	t := r.t
	r.stopService()
	if strings.Contains(code, "--listen") {
		t.Errorf("README.md:%d: %s: the test moves the service to a free port and cannot with --listen given", line, code)
		return
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r.port = l.Addr().(*net.TCPAddr).Port
	l.Close()
	r.svc = exec.Command("bash", "-c", "exec "+code+" --listen 127.0.0.1:"+strconv.Itoa(r.port))
	r.svcLog, r.svcLine = new(bytes.Buffer), line
	r.svc.Dir, r.svc.Env, r.svc.Stdout, r.svc.Stderr = r.dir, r.env, r.svcLog, r.svcLog
	if err := r.svc.Start(); err != nil {
		t.Fatalf("README.md:%d: %s: %v", line, code, err)
	}
	r.svcDone = make(chan error, 1)
	go func() { r.svcDone <- r.svc.Wait() }()
	url := "http://127.0.0.1:" + strconv.Itoa(r.port) + "/healthz"
	for deadline := time.Now().Add(time.Minute); ; {
		select {
		case err := <-r.svcDone:
			r.svc = nil
			t.Fatalf("README.md:%d: %s: exited before answering (%v):\n%s", line, code, err, r.svcLog)
		default:
		}
		if resp, err := http.Get(url); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("README.md:%d: %s: /healthz does not answer after a minute:\n%s", line, code, r.svcLog)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stopService stops the running service with SIGTERM, as the README says
// it stops, and requires a clean exit.
func (r *runner) stopService() {
	if r.svc == nil {
		return
	}
	svc := r.svc
	r.svc = nil
	svc.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-r.svcDone:
		if err != nil {
			r.t.Errorf("README.md:%d: the service did not stop cleanly on SIGTERM: %v\n%s", r.svcLine, err, r.svcLog)
		}
	case <-time.After(30 * time.Second):
		svc.Process.Kill()
		<-r.svcDone
		r.t.Errorf("README.md:%d: the service did not stop within 30 s of SIGTERM\n%s", r.svcLine, r.svcLog)
	}
}

// goProgram checks the Go block is gofmt'ed, then builds and runs it in
// the module.
func (r *runner) goProgram(b readme.Block) {
	t := r.t
	src := []byte(b.Text())
	if f, err := format.Source(src); err != nil {
		t.Errorf("README.md:%d: the Go block does not parse: %v", b.Line, err)
		return
	} else if !bytes.Equal(f, src) {
		t.Errorf("README.md:%d: the Go block is not gofmt'ed; gofmt gives:\n%s", b.Line, f)
	}
	dir := fmt.Sprintf("readme-go-%d", b.Line)
	if err := os.MkdirAll(filepath.Join(r.dir, dir), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(r.dir, dir, "main.go"), src, 0o644); err != nil {
		t.Fatal(err)
	}
	out, status := r.shell(b.Line, "go run ./"+dir, 5*time.Minute)
	if status != 0 || strings.TrimSpace(out) == "" {
		t.Errorf("README.md:%d: the Go program: exit %d, printed:\n%s", b.Line, status, out)
		return
	}
	// A comment after a fmt.Println says what that line prints.
	var want []string
	for _, l := range strings.Split(string(src), "\n") {
		if i := strings.Index(l, "// "); i >= 0 && strings.Contains(l[:i], "fmt.Print") {
			want = append(want, strings.TrimSpace(l[i+3:]))
		}
	}
	if got := strings.Split(strings.TrimSpace(out), "\n"); len(want) > 0 && !slices.Equal(got, want) {
		t.Errorf("README.md:%d: the Go program printed\n%s\nwhere its comments say\n%s", b.Line, strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

var moduleScript = regexp.MustCompile(`(?s)<script type="module">\n(.*?)</script>`)

// moduleScript runs the html block's module script in Node, from the
// page's place (the checkout's root), as a browser would run it there.
func (r *runner) moduleScript(b readme.Block) {
	t := r.t
	m := moduleScript.FindStringSubmatch(b.Text())
	if m == nil {
		t.Errorf(`README.md:%d: the html block has no <script type="module">: teach TestREADME how to run it`, b.Line)
		return
	}
	r.node(b.Line, "html", m[1])
}

// node runs a module in Node from the checkout's root; the package in js/
// is importable by its name too, as after npm install.
func (r *runner) node(line int, kind, src string) {
	t := r.t
	if _, err := exec.LookPath("node"); err != nil {
		t.Errorf("README.md:%d: node is not installed (make js-deps installs it)", line)
		return
	}
	name := fmt.Sprintf("readme-%s-%d.mjs", kind, line)
	if err := os.WriteFile(filepath.Join(r.dir, name), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	out, status := r.shell(line, "node "+name, 2*time.Minute)
	if status != 0 || strings.TrimSpace(out) == "" {
		t.Errorf("README.md:%d: the %s block's module in Node: exit %d, printed:\n%s", line, kind, status, out)
	}
}

var (
	flagRE     = regexp.MustCompile(`(?:^|[\s\[(|])--?([a-z][a-z0-9-]*)`)
	helpFlagRE = regexp.MustCompile(`(?m)^  -([a-z][a-z0-9-]*)`)
)

// synopsis checks a usage line: its (sub)command exists and each flag it
// names is one the command's --help lists.
func (r *runner) synopsis(line int, l string) {
	t := r.t
	words := strings.Fields(l)[1:]
	var path []string
	for _, w := range words {
		if !regexp.MustCompile(`^[a-z][a-z-]*$`).MatchString(w) {
			break
		}
		path = append(path, w)
	}
	if len(path) > 1 && path[0] != "hash" {
		path = path[:1] // only hash has subcommands; the rest are arguments
	}
	known := r.helpFlags(line, path)
	if known == nil {
		return
	}
	rest := strings.Join(words[len(path):], " ")
	for _, m := range flagRE.FindAllStringSubmatch(rest, -1) {
		if !known[m[1]] {
			t.Errorf("README.md:%d: %q names --%s, which `tollgate %s --help` does not list", line, l, m[1], strings.Join(path, " "))
		}
	}
}

// helpFlags runs `tollgate PATH --help` and returns the flags it lists.
func (r *runner) helpFlags(line int, path []string) map[string]bool {
	cmd := "tollgate " + strings.Join(path, " ") + " --help"
	out, _ := r.shell(line, cmd, time.Minute)
	if !strings.Contains(out, "Usage") || strings.Contains(out, "unknown command") {
		r.t.Errorf("README.md:%d: `%s` is not a tollgate command:\n%s", line, cmd, tail(out, 10))
		return nil
	}
	known := map[string]bool{"help": true, "h": true}
	for _, m := range helpFlagRE.FindAllStringSubmatch(out, -1) {
		known[m[1]] = true
	}
	return known
}

// allFlags is every flag of every subcommand, for bare `--flag` spans.
func (r *runner) allFlags(line int) map[string]bool {
	out, _ := r.shell(line, "tollgate --help", time.Minute)
	all := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^  ([a-z][a-z-]*)  `).FindAllStringSubmatch(out, -1) {
		paths := [][]string{{m[1]}}
		if m[1] == "hash" {
			paths = [][]string{{"hash", "make"}, {"hash", "verify"}}
		}
		for _, p := range paths {
			for f := range r.helpFlags(line, p) {
				all[f] = true
			}
		}
	}
	return all
}

// span checks an inline code span that names a command, a make target or
// a flag.
func (r *runner) span(s readme.Span) {
	t := r.t
	switch {
	case strings.HasPrefix(s.Text, "tollgate "):
		r.synopsis(s.Line, s.Text)
	case strings.HasPrefix(s.Text, "make "):
		target := strings.Fields(s.Text)[1]
		if out, status := r.shell(s.Line, "make -n "+target, time.Minute); status != 0 {
			t.Errorf("README.md:%d: `%s`: no such make target:\n%s", s.Line, s.Text, tail(out, 5))
		}
	case strings.HasPrefix(s.Text, "--"):
		f := strings.TrimPrefix(strings.Fields(s.Text)[0], "--")
		if r.flags == nil {
			r.flags = r.allFlags(s.Line)
		}
		if !r.flags[f] {
			t.Errorf("README.md:%d: `%s`: no tollgate command has the flag --%s", s.Line, s.Text, f)
		}
	}
}

// sandbox copies the checkout (tracked and new files, as they are now)
// into a temporary directory with the README's fixtures, so the README's
// commands (make build included) write nothing into the checkout.
func sandbox(t *testing.T, root string) string {
	list := exec.Command("git", "ls-files", "-z", "--cached", "--others", "--exclude-standard")
	list.Dir = root
	out, err := list.Output()
	if err != nil {
		t.Fatalf("git ls-files in %s: %v (the README test copies the checkout)", root, err)
	}
	dir := t.TempDir()
	for _, f := range strings.Split(strings.TrimRight(string(out), "\x00"), "\x00") {
		data, err := os.ReadFile(filepath.Join(root, f))
		if os.IsNotExist(err) {
			continue // deleted, not yet committed
		} else if err != nil {
			t.Fatal(err)
		}
		fi, err := os.Stat(filepath.Join(root, f))
		if err != nil {
			t.Fatal(err)
		}
		dst := filepath.Join(dir, f)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, data, fi.Mode().Perm()); err != nil {
			t.Fatal(err)
		}
	}
	// The JS package by its name, as `npm install` would provide it.
	if b, err := os.ReadFile(filepath.Join(dir, "js", "package.json")); err == nil {
		var pkg struct{ Name string }
		if json.Unmarshal(b, &pkg) == nil && pkg.Name != "" {
			link := filepath.Join(dir, "node_modules", filepath.FromSlash(pkg.Name))
			if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(filepath.Join(dir, "js"), link); err != nil {
				t.Fatal(err)
			}
		}
	}
	for name, content := range fixtures {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// cleanEnv is the test's environment less what would change what the
// README's commands print or run: make variables inherited from a `make
// test` above, and any tollgate already on PATH (the README's own
// `make build` and `export PATH` must provide it).
func cleanEnv(t *testing.T) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, v, _ := strings.Cut(kv, "=")
		switch k {
		case "MAKEFLAGS", "MAKELEVEL", "MFLAGS", "MAKEOVERRIDES", "VERSION", "BIN", "GO", "CDPATH":
			continue
		case "PATH":
			var keep []string
			for _, d := range filepath.SplitList(v) {
				if fi, err := os.Stat(filepath.Join(d, "tollgate")); err == nil && !fi.IsDir() {
					t.Logf("PATH: leaving out %s, which holds a tollgate", d)
					continue
				}
				keep = append(keep, d)
			}
			kv = "PATH=" + strings.Join(keep, string(filepath.ListSeparator))
		}
		env = append(env, kv)
	}
	return env
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = append([]string{fmt.Sprintf("[%d lines before]", len(lines)-n)}, lines[len(lines)-n:]...)
	}
	return strings.Join(lines, "\n")
}
