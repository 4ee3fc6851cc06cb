package audit

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"

	tollgate "github.com/tollgate/tollgate"
	"github.com/tollgate/tollgate/export"
)

// report adds rows/s (wall clock) and CPU ns per row.
func report(b *testing.B, rows int, cpu time.Duration) {
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(rows*b.N), "cpu-ns/row")
	b.ReportMetric(0, "ns/op")
}

// The bulk-audit benchmarks read TOLLGATE_AUDIT_FILE (make one with
// `go run ./cmd/internal/gencsv -n 1000000 -o /tmp/users-1m.csv`), or a
// 20,000-row file generated on the spot. Each reports rows/s; compare the
// audit with BenchmarkFloor, the cost of reading the same file with
// encoding/csv and doing nothing. docs/performance.md has the figures.

func benchFile(b *testing.B) string {
	if p := os.Getenv("TOLLGATE_AUDIT_FILE"); p != "" {
		return p
	}
	p := filepath.Join(b.TempDir(), "users.csv")
	out, err := exec.Command("go", "run", "../cmd/internal/gencsv", "-n", "20000", "-o", p).CombinedOutput()
	if err != nil {
		b.Fatalf("gencsv: %v\n%s", err, out)
	}
	return p
}

func BenchmarkFloor(b *testing.B) {
	path := benchFile(b)
	b.ResetTimer()
	rows := 0
	cpu0 := cpuTime()
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
	report(b, rows, cpuTime()-cpu0)
}

// BenchmarkReader is the CSV reader the audit reads with (package
// export's, decoding included), alone.
func BenchmarkReader(b *testing.B) {
	path := benchFile(b)
	b.ResetTimer()
	rows := 0
	cpu0 := cpuTime()
	for b.Loop() {
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		cr, _ := export.NewReader(f, "")
		var arena []string
		rows = -1
		for {
			_, a, err := cr.Next(arena[:0])
			arena = a
			if err != nil {
				break
			}
			rows++
		}
		f.Close()
	}
	report(b, rows, cpuTime()-cpu0)
}

// BenchmarkReaderEncodings is BenchmarkReader on the same rows written in
// each encoding auto detection meets: with a UTF-8 mark (no detection),
// UTF-8 without one (decided at the first accented name), all ASCII (never
// decided: passed through to the end) and Windows-1252 (decoded).
func BenchmarkReaderEncodings(b *testing.B) {
	raw, err := os.ReadFile(benchFile(b))
	if err != nil {
		b.Fatal(err)
	}
	text := bytes.TrimPrefix(raw, []byte("\ufeff"))
	ascii := []byte(strings.Map(func(r rune) rune {
		if r >= utf8.RuneSelf {
			return 'x'
		}
		return r
	}, string(text)))
	cp, err := encoding.ReplaceUnsupported(charmap.Windows1252.NewEncoder()).Bytes(text)
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name string
		data []byte
	}{{"utf-8-bom", raw}, {"utf-8", text}, {"ascii", ascii}, {"windows-1252", cp}} {
		b.Run(c.name, func(b *testing.B) {
			rows := 0
			b.SetBytes(int64(len(c.data)))
			cpu0 := cpuTime()
			for b.Loop() {
				cr, _ := export.NewReader(bytes.NewReader(c.data), "")
				var arena []string
				rows = -1
				for {
					_, a, err := cr.Next(arena[:0])
					arena = a
					if err != nil {
						break
					}
					rows++
				}
			}
			report(b, rows, cpuTime()-cpu0)
		})
	}
}

func benchAudit(b *testing.B, kind tollgate.Engine) {
	path := benchFile(b)
	eng, err := tollgate.New(context.Background(), tollgate.WithEngine(kind))
	if err != nil {
		b.Fatal(err)
	}
	defer eng.Close()
	in, err := FileInput(path)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	rows := 0
	cpu0 := cpuTime()
	for b.Loop() {
		sink, _ := NewSink("json", io.Discard)
		sum, err := Run(context.Background(), Config{Engine: eng}, in, sink)
		if err != nil {
			b.Fatal(err)
		}
		rows = sum.Rows
	}
	report(b, rows, cpuTime()-cpu0)
}

// BenchmarkAuditNative is the audit on the native engine: every check
// through the Checker's typed operations and scalar dial path.
// docs/performance.md compares it with the fast path that bypassed the
// engine before (issue 15).
func BenchmarkAuditNative(b *testing.B) { benchAudit(b, tollgate.Native) }

func BenchmarkAuditWasm(b *testing.B) { benchAudit(b, tollgate.Wasm) }
