package tollgate

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// fixedTmp is a path under /tmp that is not a mktemp template under
// ${TMPDIR:-/tmp}: what two concurrent runs of make would both write.
var fixedTmp = regexp.MustCompile(`(^|[^-])/tmp\b`)

// TestMakeUsesNoFixedTmpPaths: the recipes of `make check`, `make test`'s
// Caddy tests, `make load` and the audit's generated files print (make -n,
// nothing runs) no fixed /tmp path; every temporary file comes from
// mktemp under ${TMPDIR:-/tmp}, so concurrent runs never share one.
// AUDIT_TMP, a cache kept between runs, is set to a neutral path here.
func TestMakeUsesNoFixedTmpPaths(t *testing.T) {
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("no make on this machine")
	}
	targets := []string{"check", "test-caddy", "load", "AUDIT_TMP=/var/cache/tg",
		"/var/cache/tg/users-1m.csv", "/var/cache/tg/bat-1m.csv"}
	out, err := exec.Command("make", append([]string{"-n", "-B"}, targets...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("make -n %v: %v\n%s", targets, err, out)
	}
	// The checkout itself may live under /tmp (a CI clone): its own path,
	// and make's "Entering directory" notes, are not temporary files.
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	var mktemps int
	for i, line := range strings.Split(string(out), "\n") {
		if fixedTmp.MatchString(strings.ReplaceAll(line, wd, "$(CURDIR)")) {
			t.Errorf("make -n line %d uses a fixed /tmp path: %s", i+1, line)
		}
		mktemps += strings.Count(line, "mktemp")
	}
	// check-kamailio, load and the two generated files.
	if mktemps < 4 {
		t.Errorf("make -n shows %d mktemp calls, want at least 4:\n%s", mktemps, out)
	}
}

// stubs stand in for the machine's package manager and init system in
// TestAptInstallNoStart: they record each call and, for apt-get install,
// what a maintainer script asking to start the daemon would be told then
// (policy-rc.d's answer, whether the unit is masked); the install creates
// the package's init script, as slapd's and kamailio's packages do.
var stubs = map[string]string{
	"apt-get": `#!/bin/sh
if [ "$1" = install ]; then
	p=none; if [ -x "$POLICY_RC_D" ]; then "$POLICY_RC_D" "$PKG_SERVICE" start; p=$?; fi
	m=no; [ -e "$STATE/masked-$PKG_SERVICE.service" ] && m=yes
	echo "apt-get $* (policy-rc.d: $p, masked: $m)" >>"$STATE/log"
	[ -z "$FAIL_INSTALL" ] || exit 100
	touch "$INITD_DIR/$PKG_SERVICE"
	exit 0
fi
echo "apt-get $*" >>"$STATE/log"
`,
	"systemctl": `#!/bin/sh
echo "systemctl $*" >>"$STATE/log"
case "$1" in
mask) touch "$STATE/masked-$3" ;;
unmask) rm -f "$STATE/masked-$3" ;;
cat) [ -e "$INITD_DIR/${2%.service}" ] ;;
esac
`,
	"update-rc.d": `#!/bin/sh
echo "update-rc.d $*" >>"$STATE/log"
`,
	"sudo": `#!/bin/sh
exec "$@"
`,
}

// TestAptInstallNoStart: mk/apt-install-nostart.sh installs a package
// whose daemon (slapd, kamailio) is never started — masked under systemd,
// forbidden by a policy-rc.d of its own elsewhere — and is left disabled;
// the machine's own policy-rc.d and an already installed daemon are left
// alone; a failed install leaves no mask and no policy-rc.d behind.
func TestAptInstallNoStart(t *testing.T) {
	const (
		cat     = "systemctl cat slapd.service"
		mask    = "systemctl mask --runtime slapd.service"
		update  = "apt-get update -qq"
		unmask  = "systemctl unmask --runtime slapd.service"
		disable = "systemctl disable --now slapd.service"
		rcd     = "update-rc.d slapd disable"
	)
	install := func(policy, masked string) string {
		return "apt-get install -y -qq slapd (policy-rc.d: " + policy + ", masked: " + masked + ")"
	}
	for _, tc := range []struct {
		name                          string
		systemd, ownPolicy, had, fail bool
		want                          []string
	}{
		{name: "systemd", systemd: true,
			want: []string{cat, mask, update, install("none", "yes"), unmask, disable}},
		{name: "no systemd", want: []string{update, install("101", "no"), rcd}},
		{name: "no systemd, the machine's policy-rc.d", ownPolicy: true,
			want: []string{update, install("0", "no"), rcd}},
		{name: "systemd, already installed", systemd: true, had: true,
			want: []string{update, install("none", "no")}},
		{name: "no systemd, already installed", had: true,
			want: []string{update, install("none", "no")}},
		{name: "systemd, install fails", systemd: true, fail: true,
			want: []string{cat, mask, update, install("none", "yes"), unmask}},
		{name: "no systemd, install fails", fail: true,
			want: []string{update, install("101", "no")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			bin, state, initd := filepath.Join(dir, "bin"), filepath.Join(dir, "state"), filepath.Join(dir, "init.d")
			for _, d := range []string{bin, state, initd} {
				os.Mkdir(d, 0o755)
			}
			for name, body := range stubs {
				os.WriteFile(filepath.Join(bin, name), []byte(body), 0o755)
			}
			systemdDir := filepath.Join(dir, "no-systemd")
			if tc.systemd {
				systemdDir = state
			}
			policy := filepath.Join(dir, "policy-rc.d")
			const own = "#!/bin/sh\nexit 0\n"
			if tc.ownPolicy {
				os.WriteFile(policy, []byte(own), 0o755)
			}
			if tc.had {
				os.WriteFile(filepath.Join(initd, "slapd"), nil, 0o755)
			}
			cmd := exec.Command("sh", "mk/apt-install-nostart.sh", "slapd", "slapd")
			cmd.Env = append(os.Environ(), "PATH="+bin+":"+os.Getenv("PATH"), "STATE="+state,
				"SYSTEMD_DIR="+systemdDir, "POLICY_RC_D="+policy, "INITD_DIR="+initd, "PKG_SERVICE=slapd",
				"FAIL_INSTALL="+map[bool]string{true: "1"}[tc.fail])
			out, err := cmd.CombinedOutput()
			if (err != nil) != tc.fail {
				t.Fatalf("exit %v, want failure %v\n%s", err, tc.fail, out)
			}
			log, _ := os.ReadFile(filepath.Join(state, "log"))
			got := strings.Split(strings.TrimSpace(string(log)), "\n")
			if !slices.Equal(got, tc.want) {
				t.Errorf("calls:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(tc.want, "\n  "))
			}
			if m, _ := filepath.Glob(filepath.Join(state, "masked-*")); len(m) != 0 {
				t.Errorf("left masked: %v", m)
			}
			b, err := os.ReadFile(policy)
			switch {
			case tc.ownPolicy && string(b) != own:
				t.Errorf("the machine's policy-rc.d was changed: %q, %v", b, err)
			case !tc.ownPolicy && err == nil:
				t.Errorf("left a policy-rc.d behind: %q", b)
			}
		})
	}
}
