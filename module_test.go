package tollgate

import (
	"bytes"
	"compress/gzip"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/tollgate/tollgate/internal/abi"
)

// SizeBudget is the most wasm/tollgate.wasm may weigh after gzip -9: what a
// browser downloads before it can check a PIN (issue 5).
const SizeBudget = 1_000_000

// TestModuleSizeBudget measures the module as `make wasm-size` and
// docs/performance.md do, with gzip(1) -9 (zlib's deflate, what servers
// send). Go's compress/gzip compresses this module about 11 KB worse at the
// same level (994,791 against 983,653 bytes before the password blocklist),
// so it is used, and logged, only where gzip(1) is missing.
func TestModuleSizeBudget(t *testing.T) {
	size, tool := gzipSize(t, module)
	t.Logf("wasm/tollgate.wasm: %d bytes, %d by %s", len(module), size, tool)
	if size > SizeBudget {
		t.Fatalf("wasm/tollgate.wasm is %d bytes after %s, over the budget of %d: see docs/performance.md for where the bytes go", size, tool, SizeBudget)
	}
}

// AuditSizeCeiling bounds wasm/tollgate-audit.wasm, the main module plus the
// audit's operations, which do not fit in SizeBudget (docs/abi.md, "Audit").
// Only the audit view and wasm audits load it; the ceiling makes its growth
// a decision rather than an accident: it was 1 150 000 until the module
// measured its own speed for the audit's estimates (audit.rates, 4.3 KB:
// estimates made at the native rate were 10 to 30 times low on wasm).
const AuditSizeCeiling = 1_160_000

func TestAuditModuleSizeCeiling(t *testing.T) {
	size, tool := gzipSize(t, auditModule)
	t.Logf("wasm/tollgate-audit.wasm: %d bytes, %d by %s", len(auditModule), size, tool)
	if size > AuditSizeCeiling {
		t.Fatalf("wasm/tollgate-audit.wasm is %d bytes after %s, over its ceiling of %d", size, tool, AuditSizeCeiling)
	}
}

// gzipSize is b's size after gzip -9, or after compress/gzip where gzip(1)
// is missing (the second return names which).
func gzipSize(t *testing.T, b []byte) (int, string) {
	t.Helper()
	if gz, err := exec.LookPath("gzip"); err == nil {
		cmd := exec.Command(gz, "-9c")
		cmd.Stdin = bytes.NewReader(b)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("gzip -9c: %v", err)
		}
		return len(out), "gzip -9"
	}
	var buf bytes.Buffer
	w, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(b)
	w.Close()
	return buf.Len(), "compress/gzip"
}

// moduleCrypto are the crypto packages the module may link: crypto/subtle
// (constant-time comparison) and what it imports. The hashes come from
// internal/digest under the build tag tollgate_small; crypto/sha1,
// crypto/sha256, crypto/hmac and the others would bring the FIPS 140
// module (crypto/internal/fips140 and its self-tests, DRBG, AES) with them:
// 58 KB gzip (docs/performance.md).
var moduleCrypto = map[string]bool{
	"crypto/subtle": true, "crypto/internal/constanttime": true, "crypto/internal/fips140/subtle": true,
	"crypto/internal/fips140/alias": true, "crypto/internal/fips140deps/byteorder": true,
}

// moduleBanned are packages the module does without, for their size
// (docs/performance.md): os (with runtime/debug, which imports it: 32 KB
// gzip), fmt, encoding/json, encoding/hex and encoding/base64.
var moduleBanned = []string{"os", "runtime/debug", "fmt", "encoding/json", "encoding/hex", "encoding/base64"}

// TestModuleDependencies lists the packages of the module's build
// (abi.BuildArgs's tags, the wasip1 target) and refuses the banned ones
// and any crypto package beyond crypto/subtle's.
func TestModuleDependencies(t *testing.T) {
	var tags string
	for _, a := range abi.BuildArgs() {
		if v, ok := strings.CutPrefix(a, "-tags="); ok {
			tags = v
		}
	}
	if !strings.Contains(tags, "tollgate_small") {
		t.Fatalf("abi.BuildArgs builds the module without the tag tollgate_small (tags %q)", tags)
	}
	cmd := exec.Command("go", "list", "-deps", "-tags="+tags, "./wasm")
	cmd.Env = append(os.Environ(), abi.BuildEnv()...)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -deps ./wasm: %v", err)
	}
	for _, p := range strings.Fields(string(out)) {
		switch {
		case strings.HasPrefix(p, "crypto/") && !moduleCrypto[p]:
			t.Errorf("the module links %s: use internal/digest under tollgate_small", p)
		case slices.Contains(moduleBanned, p):
			t.Errorf("the module links %s (see docs/performance.md for its cost)", p)
		}
	}
}

// TestDestinations holds the one reading of the embedded destination
// artifact that the audit and `serve --users` share: it is read once (the
// same table each call) and is the committed wasm/destinations.tgd.
func TestDestinations(t *testing.T) {
	a, err := Destinations()
	if err != nil {
		t.Fatal(err)
	}
	b, err := Destinations()
	if err != nil || b != a {
		t.Fatalf("a second call gave another table (%p, %p) or %v", a, b, err)
	}
	if cc := a.CallingCode("GB"); cc != 44 {
		t.Errorf("CallingCode(GB) = %d, want 44", cc)
	}
	if a.States() == 0 {
		t.Error("the table has no states")
	}
}
