// Package testenv decides what a test does when a tool it drives is
// missing (chromium, slappasswd, passlib): under `make test`, which
// installs every such tool first (TEST_DEPS), the test fails, so a broken
// install or a renamed binary cannot turn a regression into a skip; under
// a plain `go test ./...` on a developer's machine it skips and says how to
// get the tool.
//
// The Makefile exports RequireEnv=1; CI=… (any value) has the same effect.
package testenv

import (
	"os"
	"testing"
)

// RequireEnv is the variable `make` sets so that missing tools fail tests.
const RequireEnv = "TOLLGATE_REQUIRE_TOOLS"

// Required reports whether missing tools must fail tests.
func Required() bool { return os.Getenv(RequireEnv) == "1" || os.Getenv("CI") != "" }

// Need fails or skips t when ok is false: what names the missing tool,
// install how to get it (the make target that installs it, say).
func Need(t testing.TB, what string, ok bool, install string) {
	t.Helper()
	if ok {
		return
	}
	if Required() {
		t.Fatalf("%s is not installed, and %s=1 (make test) requires it: %s", what, RequireEnv, install)
	}
	t.Skipf("%s is not installed (%s; under make test this fails)", what, install)
}
