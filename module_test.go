package tollgate

import (
	"bytes"
	"compress/gzip"
	"testing"
)

// SizeBudget is the most wasm/tollgate.wasm may weigh after gzip -9: what a
// browser downloads before it can check a PIN (issue 5).
const SizeBudget = 1_000_000

func TestModuleSizeBudget(t *testing.T) {
	var buf bytes.Buffer
	w, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(Module)
	w.Close()
	// compress/gzip and gzip(1) differ by a few hundred bytes at level 9;
	// `make wasm-size` prints gzip(1)'s figure.
	t.Logf("wasm/tollgate.wasm: %d bytes, %d gzip", len(Module), buf.Len())
	if buf.Len() > SizeBudget {
		t.Fatalf("wasm/tollgate.wasm is %d bytes after gzip, over the budget of %d: see docs/performance.md for where the bytes go", buf.Len(), SizeBudget)
	}
}
