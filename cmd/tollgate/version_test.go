package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
)

func TestFormatVersion(t *testing.T) {
	goTail := runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH + ")"
	stamped := func(main string, settings ...string) *debug.BuildInfo {
		bi := &debug.BuildInfo{GoVersion: "go1.26.1", Main: debug.Module{Path: "github.com/tollgate/tollgate", Version: main}}
		for i := 0; i+1 < len(settings); i += 2 {
			bi.Settings = append(bi.Settings, debug.BuildSetting{Key: settings[i], Value: settings[i+1]})
		}
		return bi
	}
	for _, c := range []struct {
		name     string
		override string
		bi       *debug.BuildInfo
		want     string
	}{
		{"no build info", "", nil, "tollgate (devel) (" + goTail},
		{"override without build info", "v1.2.0", nil, "tollgate v1.2.0 (" + goTail},
		{"go install @tag", "", stamped("v1.2.0", "GOOS", "linux", "GOARCH", "arm64"), "tollgate v1.2.0 (go1.26.1 linux/arm64)"},
		{"checkout, stamped", "", stamped("v0.0.0-20260310093000-63cc4ab1f2e3+dirty", "GOOS", "linux", "GOARCH", "amd64",
			"vcs", "git", "vcs.revision", "63cc4ab1f2e3d4c5b6a7980011223344556677889", "vcs.modified", "true"),
			"tollgate v0.0.0-20260310093000-63cc4ab1f2e3+dirty (revision 63cc4ab1f2e3, modified; go1.26.1 linux/amd64)"},
		{"clean checkout", "", stamped("(devel)", "GOOS", "linux", "GOARCH", "amd64", "vcs.revision", "0123456789abcdef", "vcs.modified", "false"),
			"tollgate (devel) (revision 0123456789ab; go1.26.1 linux/amd64)"},
		{"make build overrides the module version", "63cc4ab1f2e3-dirty", stamped("(devel)", "GOOS", "linux", "GOARCH", "amd64"),
			"tollgate 63cc4ab1f2e3-dirty (go1.26.1 linux/amd64)"},
		{"empty main version", "", stamped("", "GOOS", "linux", "GOARCH", "amd64"), "tollgate (devel) (go1.26.1 linux/amd64)"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := formatVersion(c.override, c.bi); got != c.want {
				t.Errorf("got  %q\nwant %q", got, c.want)
			}
		})
	}
}

// cleanEnv is the environment for make and go run from a test: no make
// variables inherited from a `make test` above, so output is a user's.
func cleanEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "MAKEFLAGS", "MAKELEVEL", "MFLAGS", "MAKEOVERRIDES", "VERSION", "BIN", "GO":
			continue
		}
		env = append(env, kv)
	}
	return append(env, extra...)
}

func runIn(t *testing.T, dir string, env []string, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir, cmd.Env = dir, env
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// TestVersionFromLdflags builds the command as `make build` does, with a
// version given by -ldflags -X, and runs --version.
func TestVersionFromLdflags(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "tollgate")
	runIn(t, ".", cleanEnv(), "go", "build", "-trimpath", "-ldflags", "-X main.version=v9.8.7-test", "-o", bin, ".")
	got := runIn(t, ".", nil, bin, "--version")
	if want := "tollgate v9.8.7-test ("; !strings.HasPrefix(got, want) || !strings.HasSuffix(got, runtime.GOOS+"/"+runtime.GOARCH+")\n") {
		t.Errorf("--version printed %q, want %q...%s/%s)", got, want, runtime.GOOS, runtime.GOARCH)
	}
}

// TestMakeBuildVersion runs `make build` and requires the binary to name
// the checkout as git describes it (the tag or commit, and -dirty).
func TestMakeBuildVersion(t *testing.T) {
	root, _ := filepath.Abs("../..")
	desc := strings.TrimSpace(runIn(t, root, nil, "git", "describe", "--tags", "--always", "--dirty", "--abbrev=12"))
	dir := t.TempDir()
	runIn(t, root, cleanEnv(), "make", "-s", "build", "BIN="+dir)
	got := runIn(t, root, nil, filepath.Join(dir, "tollgate"), "--version")
	if want := "tollgate " + desc + " ("; !strings.HasPrefix(got, want) {
		t.Errorf("make build; tollgate --version printed %q, want %q...", got, want)
	}
	runIn(t, root, cleanEnv(), "make", "-s", "build", "BIN="+dir, "VERSION=v1.2.0")
	if got := runIn(t, root, nil, filepath.Join(dir, "tollgate"), "--version"); !strings.HasPrefix(got, "tollgate v1.2.0 (") {
		t.Errorf("make build VERSION=v1.2.0; tollgate --version printed %q", got)
	}
}

// TestVersionFromVCS builds the command in a fresh git repository holding
// the checkout's files (tracked and new, as they are now), as `go build` in a clone does (-buildvcs),
// and requires --version to name the commit, then the modified tree.
func TestVersionFromVCS(t *testing.T) {
	if testing.Short() {
		t.Skip("copies the module and builds it twice")
	}
	root, _ := filepath.Abs("../..")
	files := strings.Split(strings.TrimRight(runIn(t, root, nil, "git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"), "\x00"), "\x00")
	repo := t.TempDir()
	for _, f := range files {
		data, err := os.ReadFile(filepath.Join(root, f))
		if os.IsNotExist(err) {
			continue // deleted, not yet committed
		} else if err != nil {
			t.Fatal(err)
		}
		dst := filepath.Join(repo, f)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	git := func(args ...string) string {
		return runIn(t, repo, cleanEnv("GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com",
			"GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com"), "git", args...)
	}
	git("init", "-q")
	git("add", "-A")
	git("commit", "-q", "-m", "snapshot")
	rev := strings.TrimSpace(git("rev-parse", "HEAD"))
	bin := filepath.Join(t.TempDir(), "tollgate")
	build := func() string {
		runIn(t, repo, cleanEnv("GOFLAGS=-buildvcs=true"), "go", "build", "-trimpath", "-o", bin, "./cmd/tollgate")
		return runIn(t, repo, nil, bin, "--version")
	}
	got := build()
	want := regexp.MustCompile(`^tollgate v0\.0\.0-\d{14}-` + rev[:12] + ` \(revision ` + rev[:12] + `; go\S+ \S+/\S+\)\n$`)
	if !want.MatchString(got) {
		t.Errorf("clean clone: --version printed %q, want %v", got, want)
	}
	if err := os.WriteFile(filepath.Join(repo, "README.md"), []byte("changed\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	got = build()
	want = regexp.MustCompile(`^tollgate v0\.0\.0-\d{14}-` + rev[:12] + `\+dirty \(revision ` + rev[:12] + `, modified; go\S+ \S+/\S+\)\n$`)
	if !want.MatchString(got) {
		t.Errorf("modified clone: --version printed %q, want %v", got, want)
	}
}
