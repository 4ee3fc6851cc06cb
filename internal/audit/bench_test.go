package audit

import (
	"bufio"
	"context"
	"encoding/csv"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/tollgate/tollgate/host"
)

// The bulk-audit benchmarks read TOLLGATE_AUDIT_FILE (make one with
// `go run ./internal/audit/gencsv -n 1000000 -o /tmp/users-1m.csv`), or a
// 20,000-row file generated on the spot. Each reports rows/s; compare the
// audit with BenchmarkFloor, the cost of reading the same file with
// encoding/csv and doing nothing. docs/performance.md has the figures.

func benchFile(b *testing.B) string {
	if p := os.Getenv("TOLLGATE_AUDIT_FILE"); p != "" {
		return p
	}
	p := filepath.Join(b.TempDir(), "users.csv")
	out, err := exec.Command("go", "run", "./gencsv", "-n", "20000", "-o", p).CombinedOutput()
	if err != nil {
		b.Fatalf("gencsv: %v\n%s", err, out)
	}
	return p
}

func BenchmarkFloor(b *testing.B) {
	path := benchFile(b)
	b.ResetTimer()
	rows := 0
	for b.Loop() {
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		r := csv.NewReader(bufio.NewReaderSize(f, 64<<10))
		r.FieldsPerRecord = -1
		r.ReuseRecord = true
		r.LazyQuotes = true
		rows = -1
		for {
			_, err := r.Read()
			if err == io.EOF {
				break
			}
			rows++
		}
		f.Close()
	}
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkReader is this package's CSV reader alone (decoding included).
func BenchmarkReader(b *testing.B) {
	path := benchFile(b)
	b.ResetTimer()
	rows := 0
	for b.Loop() {
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		dec, _, _ := decodeInput(f)
		cr := newCSVReader(dec)
		var arena []string
		rows = -1
		for {
			_, a, err := cr.next(arena[:0])
			arena = a
			if err != nil {
				break
			}
			rows++
		}
		f.Close()
	}
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

func benchAudit(b *testing.B, eng host.Engine) {
	path := benchFile(b)
	defer eng.Close()
	b.ResetTimer()
	rows := 0
	for b.Loop() {
		sink, _ := NewSink("json", io.Discard)
		sum, err := Run(context.Background(), Config{Engine: eng, EngineName: eng.Name()}, fileInput(path), sink)
		if err != nil {
			b.Fatal(err)
		}
		rows = sum.Rows
	}
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

func BenchmarkAuditNative(b *testing.B) { benchAudit(b, host.NewNative(host.Options{})) }

func BenchmarkAuditWasm(b *testing.B) {
	e, err := host.NewWasm(context.Background(), host.Options{})
	if err != nil {
		b.Fatal(err)
	}
	benchAudit(b, e)
}
