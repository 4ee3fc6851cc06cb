package engine

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tollgate/tollgate/api"
	"github.com/tollgate/tollgate/internal/abi"
)

// BenchmarkPBKDF2 is hash.verify of a PBKDF2 record at 10 000 iterations,
// natively and in the module (whose hashes are core/internal/digest's: the
// build tag tollgate_small); "paired" alternates, call by call, the module
// and the same module built from the same source without that tag (the
// standard library's hashes, which link the FIPS 140 module), so that the
// ratio holds on a loaded machine. ns/iteration is one PBKDF2 iteration
// (two compressions of the hash). docs/performance.md has the figures:
//
//	go test -run '^$' -bench PBKDF2 -benchtime=20x -count=6 ./internal/engine
func BenchmarkPBKDF2(b *testing.B) {
	ctx := context.Background()
	const iterations = 10000
	small := newTestEngine(b, Wasm, func(o *Options) { o.PoolSize, o.HeavySize = 1, 1 })
	std := newTestEngine(b, Wasm, func(o *Options) {
		o.PoolSize, o.HeavySize = 1, 1
		o.Module, o.NoCache = stdlibModule(b), true
	})
	records := []struct{ name, record string }{
		{"sha1", `{PBKDF2-SHA1}10000$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAA`},
		{"sha256", `{PBKDF2-SHA256}10000$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA`},
		{"sha512", `{PBKDF2-SHA512}10000$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA`},
	}
	for _, r := range records {
		req := []byte(`{"record":"` + r.record + `","secret":"408408"}`)
		verify := func(b *testing.B, e Engine) time.Duration {
			t0 := time.Now()
			out, err := api.Do(ctx, e, "hash.verify", req, nil)
			if err != nil || !strings.Contains(string(out), `"mismatch"`) {
				b.Fatalf("hash.verify: %s %v", out, err)
			}
			return time.Since(t0)
		}
		for _, e := range []Engine{newTestEngine(b, Native), small} {
			b.Run(r.name+"/"+e.Kind().String(), func(b *testing.B) {
				for b.Loop() {
					verify(b, e)
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/iterations, "ns/iteration")
			})
		}
		b.Run(r.name+"/paired", func(b *testing.B) {
			var ts, tl time.Duration
			for b.Loop() {
				ts += verify(b, small)
				tl += verify(b, std)
			}
			n := float64(b.N) * iterations
			b.ReportMetric(float64(ts.Nanoseconds())/n, "wasm-ns/iteration")
			b.ReportMetric(float64(tl.Nanoseconds())/n, "stdlib-ns/iteration")
			b.ReportMetric(float64(tl)/float64(ts), "stdlib/wasm")
		})
	}
}

// stdlibModule builds the module from the current source with
// abi.BuildArgs less the tag tollgate_small.
func stdlibModule(b *testing.B) []byte {
	gobin, err := exec.LookPath("go")
	if err != nil {
		b.Skip("no go command to build the comparison module")
	}
	out := filepath.Join(b.TempDir(), "stdlib.wasm")
	var args []string
	for _, a := range abi.BuildArgs() {
		args = append(args, strings.Replace(a, ",tollgate_small", "", 1))
	}
	cmd := exec.Command(gobin, append(args, out, "./wasm")...)
	cmd.Dir = ".."
	cmd.Env = append(os.Environ(), abi.BuildEnv()...)
	if msg, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("building the module without tollgate_small: %v\n%s", err, msg)
	}
	wasm, err := os.ReadFile(out)
	if err != nil {
		b.Fatal(err)
	}
	return wasm
}
