package tollgate

import (
	"os/exec"
	"regexp"
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
	var mktemps int
	for i, line := range strings.Split(string(out), "\n") {
		if fixedTmp.MatchString(line) {
			t.Errorf("make -n line %d uses a fixed /tmp path: %s", i+1, line)
		}
		mktemps += strings.Count(line, "mktemp")
	}
	// check-kamailio, load and the two generated files.
	if mktemps < 4 {
		t.Errorf("make -n shows %d mktemp calls, want at least 4:\n%s", mktemps, out)
	}
}
