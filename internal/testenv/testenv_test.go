package testenv

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

const helperEnv = "TOLLGATE_TESTENV_HELPER"

func TestNeedHelper(t *testing.T) {
	if os.Getenv(helperEnv) == "" {
		return // only ever run as the child of TestNeed
	}
	Need(t, "frobnicator", os.Getenv(helperEnv) == "present", "apt-get install frobnicator")
	t.Log("ran with the tool")
}

// A missing tool skips a plain go test and fails under make (or CI); a
// present one runs either way.
func TestNeed(t *testing.T) {
	for _, tc := range []struct {
		tool, require, ci string
		ok                bool
		out               string
	}{
		{"missing", "", "", true, "--- SKIP: TestNeedHelper"},
		{"missing", "1", "", false, "frobnicator is not installed, and TOLLGATE_REQUIRE_TOOLS=1 (make test) requires it: apt-get install frobnicator"},
		{"missing", "", "true", false, "--- FAIL: TestNeedHelper"},
		{"missing", "0", "", true, "--- SKIP: TestNeedHelper"},
		{"present", "1", "", true, "ran with the tool"},
		{"present", "", "", true, "ran with the tool"},
	} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestNeedHelper$", "-test.v")
		var env []string
		for _, kv := range os.Environ() {
			if !strings.HasPrefix(kv, RequireEnv+"=") && !strings.HasPrefix(kv, "CI=") {
				env = append(env, kv)
			}
		}
		env = append(env, helperEnv+"="+tc.tool)
		if tc.require != "" {
			env = append(env, RequireEnv+"="+tc.require)
		}
		if tc.ci != "" {
			env = append(env, "CI="+tc.ci)
		}
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		if (err == nil) != tc.ok || !strings.Contains(string(out), tc.out) {
			t.Errorf("%+v: err %v, output:\n%s", tc, err, out)
		}
	}
}
