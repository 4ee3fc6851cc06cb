package audit

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"

	"github.com/tollgate/tollgate/internal/textenc"
)

// The CSV reader is RFC 4180 with the liberties exports need (lines end in
// CRLF, LF, or, in files saved as "CSV (Macintosh)" by classic Mac OS
// and old Excel, CR alone), written here rather than taken from
// encoding/csv for two reasons: encoding/csv reads to the end of the file
// after an unterminated quote, swallowing every later row, and the audit
// must report such a row and go on; and one allocation per record keeps
// the audit close to the cost of merely reading the file.

const (
	// maxRecordBytes bounds one record, so a file without line breaks
	// cannot exhaust memory.
	maxRecordBytes = 1 << 20
	// maxRecordLines bounds how many physical lines one quoted field may
	// span before its opening quote is taken to be the mistake.
	maxRecordLines = 16
)

// record is one CSV record: its first physical line (1-based) and either
// its fields or the reason it could not be read.
type record struct {
	line   int
	fields []string
	bad    string
}

type csvReader struct {
	r     *bufio.Reader
	dec   *textenc.Reader // what r reads, for messages about undecodable text
	line  int             // physical lines consumed from r
	pos   int64           // bytes consumed from r: where the last record read ends
	eof   bool
	err   error    // a read error found while looking at the file's start
	queue []queued // lines to parse again after a broken multi-line record

	long []byte   // assembles a line longer than the bufio buffer
	rec  []byte   // the current record's field bytes, unescaped
	ends []int    // end offset in rec of each field
	span []queued // copies of the continuation lines of the current record
}

// queued is a physical line to read again; long marks a line over
// maxRecordBytes, already skipped, that must still give its own record.
type queued struct {
	b    []byte
	line int
	long bool
}

var errLineTooLong = errors.New("line too long")

// readBuf is the reader's buffer, and how far it looks for the first line
// end to tell a CR file from the others.
const readBuf = 64 << 10

func newCSVReader(dec *textenc.Reader) *csvReader {
	br := bufio.NewReaderSize(dec, readBuf)
	c := &csvReader{r: br, dec: dec}
	head, err := br.Peek(readBuf)
	if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
		c.err = err // bufio forgets an error Peek returned: keep it
	}
	if textenc.CRLineEnds(head, err == io.EOF) {
		c.r = bufio.NewReaderSize(textenc.NewCRReader(br), readBuf)
	}
	return c
}

// readLine returns the next physical line without its line end, and its
// number. The slice is valid until the next call. err is io.EOF at the
// end, errLineTooLong for a line over maxRecordBytes (already skipped).
func (c *csvReader) readLine() ([]byte, int, error) {
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
			if len(c.long) <= maxRecordBytes {
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
	if len(b) > maxRecordBytes {
		return nil, c.line, errLineTooLong
	}
	b = bytes.TrimSuffix(b, []byte{'\n'})
	b = bytes.TrimSuffix(b, []byte{'\r'})
	return b, c.line, nil
}

// next reads the next record, skipping empty lines. It returns io.EOF at
// the end of input and any read error of the underlying reader; a
// malformed record is not an error but a record with bad set. The fields
// are appended to arena (owned by the caller, so records of one batch
// share one slice) and the grown arena is returned.
func (c *csvReader) next(arena []string) (record, []string, error) {
	rec, err := c.parse()
	if err != nil || rec.bad != "" {
		return rec, arena, err
	}
	s := string(c.rec)
	first := len(arena)
	prev := 0
	for _, e := range c.ends {
		arena = append(arena, s[prev:e])
		prev = e
	}
	rec.fields = arena[first:len(arena):len(arena)]
	return rec, arena, nil
}

// field returns field i of the record parse just read, as bytes valid
// until the next call (the first pass reads a column without allocating).
func (c *csvReader) field(i int) []byte {
	start := 0
	if i > 0 {
		start = c.ends[i-1]
	}
	return c.rec[start:c.ends[i]]
}

// parse reads the next record into c.rec and c.ends; a record without
// fields and without bad set means the fields are there.
func (c *csvReader) parse() (record, error) {
	var cur []byte
	var start int
	var err error
	for {
		cur, start, err = c.readLine()
		if err == errLineTooLong {
			return record{line: start, bad: fmt.Sprintf("line longer than %d bytes", maxRecordBytes)}, nil
		}
		if err != nil {
			return record{}, err
		}
		if len(cur) > 0 {
			break
		}
	}
	c.rec = c.rec[:0]
	c.ends = c.ends[:0]
	c.span = c.span[:0]
	bad := ""
	if !utf8.Valid(cur) {
		bad = c.undecodable(cur, start)
	}
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
					if err == nil && len(c.span) < maxRecordLines && len(c.rec) <= maxRecordBytes {
						c.span = append(c.span, queued{b: append([]byte(nil), next...), line: ln})
						if bad == "" && !utf8.Valid(next) {
							bad = c.undecodable(next, ln)
						}
						c.rec = append(c.rec, '\n')
						cur, pos = next, 0
						continue
					}
					if err != nil && err != io.EOF && err != errLineTooLong {
						return record{}, err
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
					return record{line: start, bad: fmt.Sprintf("broken quoting: the quoted field opened at line %d column %d is never closed", start, col)}, nil
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
				return record{line: start, bad: fmt.Sprintf("broken quoting: text after the closing quote at line %d column %d", ln, column(cur, pos))}, nil
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
			return record{line: start, bad: fmt.Sprintf("broken quoting: a quote inside an unquoted field at line %d column %d", ln, column(cur, pos+q))}, nil
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
	if len(c.rec) > maxRecordBytes {
		return record{line: start, bad: fmt.Sprintf("record longer than %d bytes", maxRecordBytes)}, nil
	}
	if bad != "" {
		return record{line: start, bad: bad}, nil
	}
	return record{line: start}, nil
}

// column is the 1-based character column of byte offset off in line.
func column(line []byte, off int) int {
	return utf8.RuneCount(line[:off]) + 1
}

// undecodable says where line (physical line ln) stops being valid UTF-8
// and what the decoder meant by that (package textenc).
func (c *csvReader) undecodable(line []byte, ln int) string {
	off := 0
	for off < len(line) {
		r, n := utf8.DecodeRune(line[off:])
		if r == utf8.RuneError && n <= 1 {
			break
		}
		off += n
	}
	msg := fmt.Sprintf("undecodable text: %s at line %d column %d", c.dec.Problem(), ln, column(line, off))
	if h := c.dec.Hint(); h != "" {
		msg += " (" + h + ")"
	}
	return msg
}
