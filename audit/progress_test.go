package audit

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/tollgate/tollgate/export"
)

type discardSink struct{}

func (discardSink) Record(*Record) error { return nil }
func (discardSink) End(*Summary) error   { return nil }

type progressCall struct {
	rows int
	done float64
}

// progressFile writes n rows of equal length, so the share of the file a
// row ends at is its share of the rows.
func progressFile(t *testing.T, n int, pin bool, enc export.Encoding) string {
	t.Helper()
	var b bytes.Buffer
	if pin {
		b.WriteString("Alias,Extension,PIN\n")
	} else {
		b.WriteString("Alias,Extension,TransferNumber\n")
	}
	for i := range n {
		if pin {
			fmt.Fprintf(&b, "user%06d,%06d,%06d\n", i, 200000+i, 100000+i)
		} else {
			fmt.Fprintf(&b, "user%06d,%06d,9%09d\n", i, 200000+i, i)
		}
	}
	data := b.Bytes()
	switch enc {
	case export.UTF8BOM:
		data = append([]byte{0xEF, 0xBB, 0xBF}, data...)
	case export.UTF16LE:
		u := utf16.Encode([]rune(string(data)))
		le := []byte{0xFF, 0xFE}
		for _, c := range u {
			le = binary.LittleEndian.AppendUint16(le, c)
		}
		data = le
	}
	p := filepath.Join(t.TempDir(), "users.csv")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestProgressFollowsRowsWritten: the fraction reported is that of the
// rows written, never more, never decreasing, and 1 only at the end. It
// used to be the bytes read from the file, which run ahead of the rows
// written by the readers' buffers and the batches in flight: 100 % with
// 7 % of the rows still to come on 8 workers.
func TestProgressFollowsRowsWritten(t *testing.T) {
	defer func(d time.Duration) { progressEvery = d }(progressEvery)
	progressEvery = 0 // every batch written
	const n = 20000
	for _, tc := range []struct {
		name string
		pin  bool // a PIN column: a first pass counts shared PINs
		enc  export.Encoding
		tol  float64 // how far done may be from rows/n
	}{
		{"utf-8 with a first pass", true, export.UTF8, 0.005},
		{"utf-8 in one pass", false, export.UTF8, 0.005},
		{"utf-8 with a BOM in one pass", false, export.UTF8BOM, 0.005},
		{"utf-16 with a first pass", true, export.UTF16LE, 0.005},
		// The decoded length is estimated until the reader reaches the end.
		{"utf-16 in one pass", false, export.UTF16LE, 0.05},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var calls []progressCall
			cfg := Config{Engine: nativeEngine(t), Workers: 8, Progress: func(rows int, done float64) {
				calls = append(calls, progressCall{rows, done})
			}}
			sum, err := Run(context.Background(), cfg, fileInput(progressFile(t, n, tc.pin, tc.enc)), discardSink{})
			if err != nil {
				t.Fatal(err)
			}
			if sum.Rows != n || sum.Encoding != tc.enc {
				t.Fatalf("rows %d encoding %s, want %d %s", sum.Rows, sum.Encoding, n, tc.enc)
			}
			if len(calls) < 10 {
				t.Fatalf("only %d progress calls", len(calls))
			}
			last := calls[len(calls)-1]
			if last.rows != n || last.done != 1 {
				t.Errorf("last call %+v, want %d rows and 1", last, n)
			}
			prev := 0.0
			for i, c := range calls[:len(calls)-1] {
				if c.done < prev || c.done >= 1 {
					t.Errorf("call %d: %+v after %v: want monotone and below 1 before the end", i, c, prev)
				}
				if share := float64(c.rows) / n; math.Abs(c.done-share) > tc.tol {
					t.Errorf("call %d: done %.4f with %d of %d rows written (%.4f)", i, c.done, c.rows, n, share)
				}
				prev = c.done
			}
		})
	}
}

// An interrupted audit never reports 1; an input of unknown size -1.
func TestProgressInterruptedAndUnknownSize(t *testing.T) {
	defer func(d time.Duration) { progressEvery = d }(progressEvery)
	progressEvery = 0
	path := progressFile(t, 20000, false, export.UTF8)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var calls []progressCall
	cfg := Config{Engine: nativeEngine(t), Workers: 2, Progress: func(rows int, done float64) {
		calls = append(calls, progressCall{rows, done})
		cancel()
	}}
	sum, err := Run(ctx, cfg, fileInput(path), discardSink{})
	if err != nil {
		t.Fatal(err)
	}
	if !sum.Interrupted || sum.Rows == 20000 {
		t.Fatalf("rows %d interrupted %v: the audit was not interrupted", sum.Rows, sum.Interrupted)
	}
	if last := calls[len(calls)-1]; last.done >= 1 || last.rows != sum.Rows {
		t.Errorf("interrupted audit's last call %+v, want below 1 and %d rows", last, sum.Rows)
	}

	data, _ := os.ReadFile(path)
	calls = nil
	cfg = Config{Engine: nativeEngine(t), Progress: func(rows int, done float64) { calls = append(calls, progressCall{rows, done}) }}
	if _, err := Run(context.Background(), cfg, bytesInput("stdin", data, false), discardSink{}); err != nil {
		t.Fatal(err)
	}
	for _, c := range calls {
		if c.done != -1 {
			t.Fatalf("input of unknown size: %+v, want done -1", c)
		}
	}
	if last := calls[len(calls)-1]; last.rows != 20000 {
		t.Errorf("last call %+v, want 20000 rows", last)
	}
}
