package auditcore

import (
	"context"
	"os"
	"testing"

	"github.com/tollgate/tollgate/api"
)

func benchData(b *testing.B) []byte {
	path := os.Getenv("TOLLGATE_AUDIT_FILE")
	if path == "" {
		b.Skip("TOLLGATE_AUDIT_FILE names no file")
	}
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	return data
}

// streamPass runs one pass of the file through a Stream over sess, in
// 256 KiB chunks as the module runs it, handing each item to fn.
func streamPass(b *testing.B, sess *api.Session, o Options, shared []byte, data []byte, out []byte, fn func(it *Item)) []byte {
	s, err := Open(context.Background(), sess, o)
	if err != nil {
		b.Fatal(err)
	}
	if len(shared) > 0 {
		if err := s.Shared(shared); err != nil {
			b.Fatal(err)
		}
	}
	var it Item
	for off := 0; ; off += 256 << 10 {
		chunk := data[min(off, len(data)):min(off+256<<10, len(data))]
		if out, err = s.Rows(chunk, out[:0]); err != nil {
			b.Fatal(err)
		}
		d := NewDecoder(out)
		for d.Next(&it) {
			fn(&it)
		}
		if len(chunk) == 0 {
			break
		}
	}
	s.Close()
	return out
}

// BenchmarkStream is the in-module audit's own work with no boundary: the
// file at TOLLGATE_AUDIT_FILE through a Stream over an api.Session, in
// 256 KiB chunks, as the module runs it. Compiled to wasip1 and run under
// wazero or Node (docs/performance.md, "Audit in the module") it gives the
// guest-compute ratio of the audit: the same code, wasm against native.
// It is the check pass alone; BenchmarkStreamAudit is both passes.
func BenchmarkStream(b *testing.B) {
	data := benchData(b)
	sess := api.NewSession()
	rows := 0
	var out []byte
	for b.Loop() {
		rows = 0
		out = streamPass(b, sess, Options{Pass: PassCheck, Key: 1, HasKey: true, Year: 2026}, nil, data, out, func(it *Item) {
			if it.Kind == ItemRecord {
				rows++
			}
		})
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(max(rows, 1)), "ns/row")
}

// BenchmarkStreamAudit is the whole of a two-pass audit's guest work with
// no boundary: the count pass, the shared digests merged into a Table
// and handed back (audit.shared), and the check pass, as audit/wasm.go
// and js/audit.js drive the module, minus the crossings and the host's
// records and reports.
func BenchmarkStreamAudit(b *testing.B) {
	data := benchData(b)
	sess := api.NewSession()
	rows := 0
	var out, sh []byte
	for b.Loop() {
		rows = 0
		t := NewTable()
		out = streamPass(b, sess, Options{Pass: PassCount, Key: 1, HasKey: true, Year: 2026}, nil, data, out, func(it *Item) {
			if it.Kind == ItemDigests {
				for i := range it.Digests.N {
					t.Add(it.Digests.Digest[i])
				}
			}
		})
		sh = sh[:0]
		for d, n := range t.Entries() {
			if n >= 2 {
				sh = AppendShared(sh, 0, d, n)
			}
		}
		out = streamPass(b, sess, Options{Pass: PassCheck, Key: 1, HasKey: true, Year: 2026}, sh, data, out, func(it *Item) {
			if it.Kind == ItemRecord {
				rows++
			}
		})
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(max(rows, 1)), "ns/row")
}
