package host

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	tollgate "github.com/tollgate/tollgate"
	"github.com/tollgate/tollgate/api"
	"github.com/tollgate/tollgate/internal/abi"
	"github.com/tollgate/tollgate/internal/conformance"
)

// TestParity runs the whole corpus on both engines; each response must
// equal, byte for byte, what a native api session answers.
func TestParity(t *testing.T) {
	ctx := context.Background()
	w, err := NewWasm(ctx, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	requireModule(t, w)
	for _, e := range []Engine{w, NewNative(Options{})} {
		t.Run(e.Name(), func(t *testing.T) {
			ref := api.NewSession()
			if err := ref.LoadData(tollgate.Passwords); err != nil {
				t.Fatal(err)
			}
			conformance.Run(t, conformance.Engine{
				Name:      e.Name(),
				Exec:      func(op string, req []byte) ([]byte, error) { return e.Do(ctx, op, req) },
				Reference: func(op string, req []byte) ([]byte, error) { return ref.Do(op, req, nil) },
			})
		})
	}
}

// TestArtifactFresh rebuilds the module from the current source with the
// pinned flags and demands the embedded artifact be identical.
func TestArtifactFresh(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the module; skipped with -short")
	}
	// go test puts its own go first on PATH; GOTOOLCHAIN (abi.BuildEnv)
	// makes it run exactly abi.BuildGo, so another local Go is no reason
	// to skip: it fetches BuildGo or fails.
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("no go command on PATH: %v", err)
	}
	env := append(os.Environ(), abi.BuildEnv()...)
	ver := exec.Command(gobin, "env", "GOVERSION")
	ver.Env = env
	if v, err := ver.CombinedOutput(); err != nil || strings.TrimSpace(string(v)) != abi.BuildGo {
		t.Fatalf("go env GOVERSION with GOTOOLCHAIN=%s: %s %v; the artifact is reproducible with %s only", abi.BuildGo, bytes.TrimSpace(v), err, abi.BuildGo)
	}
	out := filepath.Join(t.TempDir(), "tollgate.wasm")
	args := append(append([]string(nil), abi.BuildArgs...), out, "./wasm")
	cmd := exec.Command(gobin, args...)
	cmd.Dir = ".."
	cmd.Env = env
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building the module: %v\n%s", err, msg)
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, tollgate.Module) {
		t.Fatalf("wasm/tollgate.wasm is stale (%d bytes committed, %d rebuilt): run 'make wasm' and commit it", len(tollgate.Module), len(got))
	}
}
