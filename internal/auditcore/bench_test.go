package auditcore

import (
	"context"
	"os"
	"testing"

	"github.com/tollgate/tollgate/api"
)

// BenchmarkStream is the in-module audit's own work with no boundary: the
// file at TOLLGATE_AUDIT_FILE through a Stream over an api.Session, in
// 256 KiB chunks, as the module runs it. Compiled to wasip1 and run under
// wazero (docs/performance.md, "Audit in the module") it gives the
// guest-compute ratio of the audit: the same code, wasm against native.
func BenchmarkStream(b *testing.B) {
	path := os.Getenv("TOLLGATE_AUDIT_FILE")
	if path == "" {
		b.Skip("TOLLGATE_AUDIT_FILE names no file")
	}
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	sess := api.NewSession()
	rows := 0
	var out []byte
	for b.Loop() {
		s, err := Open(context.Background(), sess, Options{Pass: PassCheck, Key: 1, HasKey: true, Year: 2026})
		if err != nil {
			b.Fatal(err)
		}
		rows = 0
		for off := 0; ; off += 256 << 10 {
			chunk := data[min(off, len(data)):min(off+256<<10, len(data))]
			if out, err = s.Rows(chunk, out[:0]); err != nil {
				b.Fatal(err)
			}
			d := NewDecoder(out)
			var it Item
			for d.Next(&it) {
				if it.Kind == ItemRecord {
					rows++
				}
			}
			if len(chunk) == 0 {
				break
			}
		}
		s.Close()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(max(rows, 1)), "ns/row")
}
