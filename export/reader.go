package export

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math/bits"
	"strconv"
	"unicode/utf8"

	"github.com/tollgate/tollgate/export/internal/textenc"
)

// The CSV reader is RFC 4180 with the liberties exports need (lines end in
// CRLF, LF, or, in files saved as "CSV (Macintosh)" by classic Mac OS
// and old Excel, CR alone), written here rather than taken from
// encoding/csv for two reasons: encoding/csv reads to the end of the file
// after an unterminated quote, swallowing every later row, and a reader
// of exports must report such a row and go on; and one allocation per
// record keeps the audit close to the cost of merely reading the file.

const (
	// MaxRecordBytes bounds one record, so a file without line breaks
	// cannot exhaust memory: a longer line is a bad row.
	MaxRecordBytes = 1 << 20
	// MaxRecordLines bounds how many physical lines one quoted field may
	// span before its opening quote is taken to be the mistake: the row
	// is then bad, and the lines after it are read again as rows.
	MaxRecordLines = 16
)

// Row is one record of an export: its first physical line (1-based, the
// header being line 1) and either its fields or, in Bad, why it could not
// be read (broken quoting, undecodable text, a line too long), with the
// line and column where that was seen and never the row's text.
type Row struct {
	Line   int
	Fields []string
	Bad    string
}

// FormatError is an export that cannot be read at all: a header that is
// none, an empty file, a byte-order mark that contradicts the encoding.
// Line is the line it is about, 0 for the whole file. Msg never quotes a
// cell the vocabulary does not know.
type FormatError struct {
	Line int
	Msg  string
}

func (e *FormatError) Error() string {
	if e.Line > 0 {
		return "line " + strconv.Itoa(e.Line) + ": " + e.Msg
	}
	return e.Msg
}

// Reader reads the rows of an export, decoded to UTF-8 (NewReader), one
// at a time. It never holds more than a bounded window of the input
// (exports run to millions of rows).
type Reader struct {
	r      *bufio.Reader
	dec    *textenc.Reader // what r reads, for messages about undecodable text
	line   int             // physical lines consumed from r
	pos    int64           // bytes consumed from r: where the last record read ends
	eof    bool
	header int      // the header's line (Open)
	err    error    // a read error found while looking at the file's start
	queue  []queued // lines to parse again after a broken multi-line record

	long []byte // assembles a line longer than the bufio buffer
	rec  []byte // the current record's field bytes, unescaped
	ends []int  // end offset in rec of each field
	// sep is 1 when rec is the line itself (a line without quotes, its
	// fields between commas: no copy), 0 when rec holds the unescaped
	// fields back to back; field i starts sep bytes after field i-1 ends.
	sep  int
	own  []byte   // rec's storage when sep is 0
	span []queued // copies of the continuation lines of the current record
}

// queued is a physical line to read again; long marks a line over
// MaxRecordBytes, already skipped, that must still give its own record.
type queued struct {
	b    []byte
	line int
	long bool
}

var errLineTooLong = errors.New("line too long")

// readBuf is the reader's buffer, and how far it looks for the first line
// end to tell a CR file from the others.
const readBuf = 64 << 10

// NewReader returns a Reader of r read as enc (the zero value is Auto).
// A byte-order mark is dropped, and a file whose first line ends in a CR
// alone has every CR, LF or CRLF read as one line end. Its error is an
// unknown encoding, a read error, or a *FormatError (a mark that
// contradicts enc).
func NewReader(r io.Reader, enc Encoding) (*Reader, error) {
	text, err := Decode(r, enc)
	if err != nil {
		return nil, err
	}
	dec := text.(*textenc.Reader)
	br := bufio.NewReaderSize(dec, readBuf)
	c := &Reader{r: br, dec: dec}
	head, err := br.Peek(readBuf)
	if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
		c.err = err // bufio forgets an error Peek returned: keep it
	}
	if textenc.CRLineEnds(head, err == io.EOF) {
		c.r = bufio.NewReaderSize(textenc.NewCRReader(br), readBuf)
	}
	return c, nil
}

// Open returns a Reader of r (NewReader) that has read the header, and
// the header's Layout. An empty file, a header row that cannot be read
// and one that cannot be a header (NewLayout) are *FormatErrors.
func Open(r io.Reader, enc Encoding) (*Reader, *Layout, error) {
	cr, err := NewReader(r, enc)
	if err != nil {
		return nil, nil, err
	}
	h, err := cr.Read()
	if err == io.EOF {
		return nil, nil, &FormatError{Msg: "empty file: want a header line naming the columns"}
	}
	if err != nil {
		return nil, nil, err
	}
	if h.Bad != "" {
		return nil, nil, &FormatError{Line: h.Line, Msg: "header: " + h.Bad}
	}
	lay, err := NewLayout(h.Fields)
	if err != nil {
		return nil, nil, &FormatError{Line: h.Line, Msg: err.Error()}
	}
	cr.header = h.Line
	return cr, lay, nil
}

// HeaderLine is the line of the header Open read (empty lines before it
// are skipped), 0 for a Reader from NewReader.
func (c *Reader) HeaderLine() int { return c.header }

// Encoding is the encoding the text is read with. Under auto detection it
// is UTF8 until the first non-ASCII byte decides (a file that is all
// ASCII is UTF-8), so it is final only once the whole input is read.
func (c *Reader) Encoding() Encoding { return Encoding(c.dec.Encoding()) }

// Detected is the line of the first non-ASCII text, from which auto
// detection chose the encoding; 0 when a byte-order mark or the caller
// chose it, or no such text was read yet.
func (c *Reader) Detected() int { return c.dec.Detected() }

// Offset is how far into the decoded text the rows read so far end, in
// bytes (a progress measure: UTF-8 text less its mark is as long as the
// file).
func (c *Reader) Offset() int64 { return c.pos }

// readLine returns the next physical line without its line end, and its
// number. The slice is valid until the next call. err is io.EOF at the
// end, errLineTooLong for a line over MaxRecordBytes (already skipped).
func (c *Reader) readLine() ([]byte, int, error) {
	if len(c.queue) > 0 {
		q := c.queue[0]
		c.queue = c.queue[1:]
		if q.long {
			return nil, q.line, errLineTooLong
		}
		return q.b, q.line, nil
	}
	if c.err != nil {
		return nil, c.line, c.err
	}
	if c.eof {
		return nil, c.line, io.EOF
	}
	b, err := c.r.ReadSlice('\n')
	c.pos += int64(len(b))
	if err == bufio.ErrBufferFull {
		c.long = append(c.long[:0], b...)
		for err == bufio.ErrBufferFull {
			b, err = c.r.ReadSlice('\n')
			c.pos += int64(len(b))
			if len(c.long) <= MaxRecordBytes {
				c.long = append(c.long, b...)
			}
		}
		b = c.long
	}
	if err != nil && err != bufio.ErrBufferFull {
		if err != io.EOF {
			return nil, c.line, err
		}
		c.eof = true
		if len(b) == 0 {
			return nil, c.line, io.EOF
		}
	}
	c.line++
	if len(b) > MaxRecordBytes {
		return nil, c.line, errLineTooLong
	}
	b = bytes.TrimSuffix(b, []byte{'\n'})
	b = bytes.TrimSuffix(b, []byte{'\r'})
	return b, c.line, nil
}

// Read returns the next row, skipping empty lines, with its own Fields.
// It returns io.EOF at the end of the input and any read error of the
// underlying reader; a malformed row is not an error but a Row with Bad
// set.
func (c *Reader) Read() (Row, error) {
	r, _, err := c.Next(nil)
	return r, err
}

// Next is Read with the fields appended to arena, a slice the caller owns
// (so the rows of one batch share one), and the grown arena returned. The
// fields of one row share one string.
func (c *Reader) Next(arena []string) (Row, []string, error) {
	rec, err := c.Scan()
	if err != nil || rec.Bad != "" {
		return rec, arena, err
	}
	s := string(c.rec)
	first := len(arena)
	prev := 0
	for _, e := range c.ends {
		arena = append(arena, s[prev:e])
		prev = e + c.sep
	}
	rec.Fields = arena[first:len(arena):len(arena)]
	return rec, arena, nil
}

// NumFields is the number of fields of the row Scan just read.
func (c *Reader) NumFields() int { return len(c.ends) }

// Field returns field i of the row Scan just read, as bytes valid until
// the next call: a pass that reads one column allocates nothing.
func (c *Reader) Field(i int) []byte {
	start := 0
	if i > 0 {
		start = c.ends[i-1] + c.sep
	}
	return c.rec[start:c.ends[i]]
}

// Scan reads the next row as Read does, but leaves its fields in the
// Reader (NumFields, Field) instead of in Row.Fields.
func (c *Reader) Scan() (Row, error) {
	var cur []byte
	var start int
	var err error
	for {
		cur, start, err = c.readLine()
		if err == errLineTooLong {
			return Row{Line: start, Bad: "line longer than " + strconv.Itoa(MaxRecordBytes) + " bytes"}, nil
		}
		if err != nil {
			return Row{}, err
		}
		if len(cur) > 0 {
			break
		}
	}
	c.ends = c.ends[:0]
	c.span = c.span[:0]
	bad := ""
	if !utf8.Valid(cur) {
		bad = c.undecodable(cur, start)
	}
	if bad == "" && bytes.IndexByte(cur, '"') < 0 {
		// The common line: no quotes, so its fields are the text between
		// its commas (what the loop below makes of it), left in place.
		c.rec, c.sep = cur, 1
		c.ends = append(commas(cur, c.ends), len(cur))
		return Row{Line: start}, nil
	}
	// rec is the reader's own buffer again (never the line's, which
	// belongs to bufio), kept in own for the next quoted line.
	c.rec, c.sep = c.own[:0], 0
	defer func() { c.own = c.rec[:0] }()
	pos := 0
	for {
		// One field starts at cur[pos].
		if pos < len(cur) && cur[pos] == '"' {
			col := column(cur, pos)
			pos++
			for {
				i := bytes.IndexByte(cur[pos:], '"')
				if i < 0 {
					c.rec = append(c.rec, cur[pos:]...)
					next, ln, err := c.readLine()
					if err == nil && len(c.span) < MaxRecordLines && len(c.rec) <= MaxRecordBytes {
						c.span = append(c.span, queued{b: append([]byte(nil), next...), line: ln})
						if bad == "" && !utf8.Valid(next) {
							bad = c.undecodable(next, ln)
						}
						c.rec = append(c.rec, '\n')
						cur, pos = next, 0
						continue
					}
					if err != nil && err != io.EOF && err != errLineTooLong {
						return Row{}, err
					}
					if err == nil {
						c.span = append(c.span, queued{b: append([]byte(nil), next...), line: ln})
					}
					if err == errLineTooLong {
						// Skipped already, but still a row of its own.
						c.span = append(c.span, queued{line: ln, long: true})
					}
					// Parse the swallowed lines again as records of their own.
					c.queue = append(append([]queued(nil), c.span...), c.queue...)
					return Row{Line: start, Bad: "broken quoting: the quoted field opened at " + at(start, col) + " is never closed"}, nil
				}
				c.rec = append(c.rec, cur[pos:pos+i]...)
				pos += i + 1
				if pos < len(cur) && cur[pos] == '"' {
					c.rec = append(c.rec, '"')
					pos++
					continue
				}
				break
			}
			c.ends = append(c.ends, len(c.rec))
			if pos == len(cur) {
				break
			}
			if cur[pos] != ',' {
				ln := start + len(c.span)
				return Row{Line: start, Bad: "broken quoting: text after the closing quote at " + at(ln, column(cur, pos))}, nil
			}
			pos++
			if pos == len(cur) {
				c.ends = append(c.ends, len(c.rec))
				break
			}
			continue
		}
		i := bytes.IndexByte(cur[pos:], ',')
		field := cur[pos:]
		if i >= 0 {
			field = cur[pos : pos+i]
		}
		if q := bytes.IndexByte(field, '"'); q >= 0 {
			ln := start + len(c.span)
			return Row{Line: start, Bad: "broken quoting: a quote inside an unquoted field at " + at(ln, column(cur, pos+q))}, nil
		}
		c.rec = append(c.rec, field...)
		c.ends = append(c.ends, len(c.rec))
		if i < 0 {
			break
		}
		pos += i + 1
		if pos == len(cur) {
			c.ends = append(c.ends, len(c.rec))
			break
		}
	}
	if len(c.rec) > MaxRecordBytes {
		return Row{Line: start, Bad: "record longer than " + strconv.Itoa(MaxRecordBytes) + " bytes"}, nil
	}
	if bad != "" {
		return Row{Line: start, Bad: bad}, nil
	}
	return Row{Line: start}, nil
}

// commas appends the offset of every comma in b to ends, eight bytes at a
// time: a byte-at-a-time loop was half of what reading a BAT row cost.
func commas(b []byte, ends []int) []int {
	const (
		ones  = 0x0101010101010101
		low7  = 0x7f7f7f7f7f7f7f7f
		comma = ',' * ones
	)
	i := 0
	for ; i+8 <= len(b); i += 8 {
		x := binary.LittleEndian.Uint64(b[i:]) ^ comma // a comma is a zero byte
		// The high bit of each byte of m is set exactly where x's byte is
		// zero (no borrow crosses bytes, so no false positives).
		m := ^(((x & low7) + low7) | x | low7)
		for m != 0 {
			ends = append(ends, i+bits.TrailingZeros64(m)>>3)
			m &= m - 1
		}
	}
	for ; i < len(b); i++ {
		if b[i] == ',' {
			ends = append(ends, i)
		}
	}
	return ends
}

// at is "line 3 column 7".
func at(line, col int) string {
	return "line " + strconv.Itoa(line) + " column " + strconv.Itoa(col)
}

// column is the 1-based character column of byte offset off in line.
func column(line []byte, off int) int {
	return utf8.RuneCount(line[:off]) + 1
}

// undecodable says where line (physical line ln) stops being valid UTF-8
// and what the decoder meant by that (package textenc).
func (c *Reader) undecodable(line []byte, ln int) string {
	off := 0
	for off < len(line) {
		r, n := utf8.DecodeRune(line[off:])
		if r == utf8.RuneError && n <= 1 {
			break
		}
		off += n
	}
	msg := "undecodable text: " + c.dec.Problem() + " at " + at(ln, column(line, off))
	if h := c.dec.Hint(); h != "" {
		msg += " (" + h + ")"
	}
	return msg
}
