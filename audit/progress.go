package audit

import (
	"io"
	"sync/atomic"
	"time"

	"github.com/tollgate/tollgate/export"
)

// progressEvery is how often Config.Progress is called while rows are
// written (a variable so a test can see every batch).
var progressEvery = 100 * time.Millisecond

// beforeEnd caps the fraction reported before the last row is written, so
// a bar reaches 100 % only when the audit is done.
const beforeEnd = 0.999

// progress measures how far the rows written are into the input. A row's
// position is where the CSV reader stopped after it, in decoded bytes,
// and not what was read from the file: the decoder and the CSV reader
// buffer some 320 KiB ahead, and up to 4 batches per worker are parsed but
// not yet written, so the bytes read reach the file's size while
// thousands of rows are still to come (the bar used to show 100 % at 93 %
// of the rows on 8 workers).
type progress struct {
	fn func(rows int, done float64)
	// total is the decoded length of the whole input, known before the
	// rows are checked from its encoding (UTF-8 is the file less its
	// byte-order mark), the first pass or a count of the decoded bytes
	// (decodedLength); 0 for an input read once (standard input).
	total atomic.Int64
	last  float64
}

// fraction is the share of the input up to decoded position pos, never
// less than the previous one, below 1 until the end; -1 when the input's
// length is unknown.
func (p *progress) fraction(pos int64) float64 {
	total := p.total.Load()
	if total <= 0 {
		return -1
	}
	p.last = max(p.last, min(float64(pos)/float64(total), beforeEnd))
	return p.last
}

// report calls fn; complete says every row of the input has been written.
func (p *progress) report(rows int, pos int64, complete bool) {
	if p.fn == nil {
		return
	}
	f := p.fraction(pos)
	if complete && f >= 0 {
		f = 1
	}
	p.fn(rows, f)
}

// decodedLength reads a rereadable input through its decoder to learn its
// decoded length, for the progress of an audit that makes no first pass
// over an input that is not UTF-8 (where the length is the file's size).
// Decoding costs a small fraction of auditing.
func decodedLength(in Input, enc export.Encoding) (int64, error) {
	rc, err := in.Open()
	if err != nil {
		return 0, err
	}
	defer rc.Close()
	text, err := export.Decode(rc, enc)
	if err != nil {
		return 0, err
	}
	return io.Copy(io.Discard, text)
}
