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

	"github.com/tollgate/tollgate/host"
	"github.com/tollgate/tollgate/internal/textenc"
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
	out, err := exec.Command("go", "run", "../../cmd/internal/gencsv", "-n", "20000", "-o", p).CombinedOutput()
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

// BenchmarkReader is this package's CSV reader alone (decoding included).
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
		dec, _ := textenc.NewReader(f, "")
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
				dec, _ := textenc.NewReader(bytes.NewReader(c.data), "")
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
			}
			report(b, rows, cpuTime()-cpu0)
		})
	}
}

func benchAudit(b *testing.B, eng host.Engine, noFast bool) {
	path := benchFile(b)
	defer eng.Close()
	b.ResetTimer()
	rows := 0
	cpu0 := cpuTime()
	for b.Loop() {
		sink, _ := NewSink("json", io.Discard)
		sum, err := Run(context.Background(), Config{Engine: eng, EngineName: eng.Name(), NoFastPath: noFast}, fileInput(path), sink)
		if err != nil {
			b.Fatal(err)
		}
		rows = sum.Rows
	}
	report(b, rows, cpuTime()-cpu0)
}

func BenchmarkAuditNative(b *testing.B) { benchAudit(b, host.NewNative(host.Options{}), false) }

// BenchmarkAuditNativeJSON is the native engine without the fast path:
// every check through Engine.Do and JSON, as the wasm engine does.
func BenchmarkAuditNativeJSON(b *testing.B) { benchAudit(b, host.NewNative(host.Options{}), true) }

func BenchmarkAuditWasm(b *testing.B) {
	e, err := host.NewWasm(context.Background(), host.Options{})
	if err != nil {
		b.Fatal(err)
	}
	benchAudit(b, e, false)
}
