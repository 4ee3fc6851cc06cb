// Package textenc turns the bytes of a user export into UTF-8 text for
// package export's Reader, which every reader of exports uses (the audit,
// `tollgate gen`, the users file of `tollgate serve --users`). It knows the encodings those exports come in:
// UTF-8 (with or without a byte-order mark) and UTF-16 with a mark, as the
// BAT tools write, and Windows-1252, which is what Excel writes when it
// saves "CSV" on a Western-European or American Windows; ISO-8859-1
// (Latin-1) on request.
//
// It does no I/O beyond the io.Reader it is given and never holds more than
// a bounded window of the input (exports run to millions of rows), and it
// links neither fmt nor reflect, so it can be compiled into the
// WebAssembly module with the audit.
//
// Text that cannot be decoded is never repaired: an invalid UTF-8 sequence
// is passed on as it is, and an unpaired UTF-16 surrogate, a dangling odd
// byte or a byte Windows-1252 leaves undefined becomes the byte 0xFF, which
// is never valid UTF-8. A reader checks its lines with utf8.Valid and
// reports the row (Problem says what such a byte stands for); a silently
// substituted U+FFFD could change a PIN or a name.
package textenc

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Encoding names, as the --encoding flag takes them and as the summary
// prints the encoding a file was read with. UTF8BOM and the two UTF-16
// byte orders are labels only: the flag takes utf-8 and utf-16 (and the
// labels as aliases).
const (
	Auto        = "auto"
	UTF8        = "utf-8"
	UTF8BOM     = "utf-8-bom"
	UTF16       = "utf-16"
	UTF16LE     = "utf-16le"
	UTF16BE     = "utf-16be"
	Windows1252 = "windows-1252"
	Latin1      = "latin-1"
)

// Allowed lists the --encoding values for usage messages.
const Allowed = "auto, utf-8, utf-16, utf-16le, utf-16be, windows-1252 (or cp1252), latin-1 (or iso-8859-1)"

// SniffBytes is how much text auto detection looks at, from the first byte
// that is not ASCII: the decision needs evidence, and ASCII is the same in
// every encoding here, so a file is passed through untouched until its
// first non-ASCII byte, however late that comes.
const SniffBytes = 64 << 10

var names = map[string]string{
	"": Auto, "auto": Auto,
	"utf-8": UTF8, "utf8": UTF8, "utf-8-bom": UTF8,
	"utf-16": UTF16, "utf16": UTF16,
	"utf-16le": UTF16LE, "utf16le": UTF16LE,
	"utf-16be": UTF16BE, "utf16be": UTF16BE,
	"windows-1252": Windows1252, "windows1252": Windows1252, "cp1252": Windows1252, "win1252": Windows1252,
	"latin-1": Latin1, "latin1": Latin1, "iso-8859-1": Latin1, "iso8859-1": Latin1,
}

// Parse returns the canonical name of an --encoding value (any case), or
// an error listing the values it takes.
func Parse(name string) (string, error) {
	if n, ok := names[strings.ToLower(strings.TrimSpace(name))]; ok {
		return n, nil
	}
	return "", errors.New("unknown encoding " + strconv.Quote(name) + ": want one of " + Allowed)
}

var (
	bomUTF8    = []byte{0xEF, 0xBB, 0xBF}
	bomUTF16LE = []byte{0xFF, 0xFE}
	bomUTF16BE = []byte{0xFE, 0xFF}
)

// Reader reads UTF-8 text decoded from an export.
type Reader struct {
	br  *bufio.Reader
	dec io.Reader // nil while auto detection has seen only ASCII
	enc string
	// lfs and crs count the LFs and the CRs alone passed while undecided
	// (cr: the last byte passed was a CR); detected is the line whose text
	// decided auto detection (0: a mark, the caller or nothing but ASCII
	// decided).
	lfs, crs int
	cr       bool
	detected int
}

// NewReader returns a reader of the UTF-8 text in r, read as enc (any
// name Parse takes; "" is Auto). A byte-order mark is dropped. With Auto, a
// mark decides; without one, the file is UTF-8 if the SniffBytes from its
// first non-ASCII byte hold more valid UTF-8 characters than bytes that
// are not UTF-8, and Windows-1252 otherwise. A mark that contradicts enc
// is an error: the bytes would be decoded into nonsense.
func NewReader(r io.Reader, enc string) (*Reader, error) {
	enc, err := Parse(enc)
	if err != nil {
		return nil, err
	}
	d := &Reader{br: bufio.NewReaderSize(r, SniffBytes)}
	head, err := d.br.Peek(3)
	if err != nil && err != io.EOF {
		return nil, err
	}
	bom := ""
	switch {
	case bytes.HasPrefix(head, bomUTF8):
		bom = UTF8BOM
	case bytes.HasPrefix(head, bomUTF16LE):
		bom = UTF16LE
	case bytes.HasPrefix(head, bomUTF16BE):
		bom = UTF16BE
	}
	switch {
	case bom == "":
	case enc == Auto,
		enc == UTF8 && bom == UTF8BOM,
		enc == UTF16 && bom != UTF8BOM,
		enc == bom:
		enc = bom
	default:
		return nil, &MarkError{"read as " + enc + ", but the file starts with a " + markName(bom) + " byte-order mark: use --encoding auto"}
	}
	switch enc {
	case UTF8BOM:
		d.br.Discard(3)
		d.dec = d.br
	case UTF16LE, UTF16BE:
		if bom != "" {
			d.br.Discard(2)
		}
		d.dec = &utf16Reader{src: d.br, le: enc == UTF16LE}
	case UTF16: // no mark: little-endian, what Windows writes
		enc = UTF16LE
		d.dec = &utf16Reader{src: d.br, le: true}
	case UTF8:
		d.dec = d.br
	case Windows1252:
		d.dec = &singleByteReader{src: d.br, cm: &windows1252}
	case Latin1:
		d.dec = &singleByteReader{src: d.br, cm: &latin1}
	case Auto:
		enc = UTF8 // until a non-ASCII byte says otherwise
	}
	d.enc = enc
	return d, nil
}

// MarkError is NewReader's error for a byte-order mark that contradicts
// the encoding asked for: a fault of the file (or of the choice), not of
// reading it.
type MarkError struct{ msg string }

func (e *MarkError) Error() string { return e.msg }

func markName(bom string) string {
	switch bom {
	case UTF16LE:
		return "UTF-16 (little-endian)"
	case UTF16BE:
		return "UTF-16 (big-endian)"
	}
	return "UTF-8"
}

// Encoding names the encoding the text is read with. Under auto
// detection it is utf-8 until the first non-ASCII byte decides (a file
// that is all ASCII is UTF-8).
func (d *Reader) Encoding() string { return d.enc }

// Detected is the line (1-based, counting line feeds, or CRs in a file
// with CR line ends) of the first
// non-ASCII byte, from which auto detection chose the encoding; 0 when a
// byte-order mark or the caller chose it, or no such byte was read yet.
func (d *Reader) Detected() int { return d.detected }

// Problem says what a byte that is not valid UTF-8 in the text stands
// for, for a message that also gives its line and column.
func (d *Reader) Problem() string {
	switch d.enc {
	case UTF16LE, UTF16BE:
		return "an unpaired UTF-16 surrogate or an odd final byte"
	case Windows1252:
		return "a byte Windows-1252 leaves undefined (0x81, 0x8D, 0x8F, 0x90 or 0x9D)"
	case Latin1:
		return "undecodable text" // cannot happen: Latin-1 defines every byte
	}
	return "invalid UTF-8"
}

// Hint is a note for a message about undecodable text when the encoding
// was detected rather than known ("" otherwise): the person reading it
// may know better and say so with --encoding.
func (d *Reader) Hint() string {
	if d.detected == 0 || d.enc != UTF8 {
		return ""
	}
	return "read as utf-8, detected at line " + strconv.Itoa(d.detected) + "; --encoding sets the encoding"
}

func (d *Reader) Read(p []byte) (int, error) {
	if d.dec != nil {
		return d.dec.Read(p)
	}
	if len(p) == 0 {
		return 0, nil
	}
	if b, err := d.br.Peek(1); len(b) == 0 {
		return 0, err
	}
	b, _ := d.br.Peek(min(d.br.Buffered(), len(p)))
	if n := asciiPrefix(b); n > 0 {
		copy(p, b[:n])
		lfs := bytes.Count(b[:n], []byte{'\n'})
		ends, cr := lineEnds(b[:n], d.cr)
		d.lfs, d.crs, d.cr = d.lfs+lfs, d.crs+ends-lfs, cr
		d.br.Discard(n)
		return n, nil
	}
	win, err := d.br.Peek(SniffBytes)
	if err != nil && err != io.EOF {
		return 0, err
	}
	d.decide(win, err == io.EOF)
	return d.dec.Read(p)
}

// decide chooses UTF-8 or Windows-1252 from win, which starts at the first
// non-ASCII byte. Counting both kinds of evidence, rather than taking the
// first invalid byte as proof, keeps a UTF-8 file with one stray byte
// UTF-8 (that row is then reported) instead of misreading every name.
func (d *Reader) decide(win []byte, atEOF bool) {
	valid, invalid := 0, 0
	for i := 0; i < len(win); {
		if win[i] < utf8.RuneSelf {
			i++
			continue
		}
		if !atEOF && !utf8.FullRune(win[i:]) {
			break // cut by the window's end
		}
		r, n := utf8.DecodeRune(win[i:])
		if r == utf8.RuneError && n == 1 {
			invalid++
		} else {
			valid++
		}
		i += n
	}
	// Lines end in LF, or, in a file with CR line ends (no LF so far), in CR.
	d.detected = d.lfs + 1
	if d.lfs == 0 {
		d.detected = d.crs + 1
		if d.cr {
			d.detected++ // the CR just before this byte
		}
	}
	if valid > invalid {
		d.enc, d.dec = UTF8, d.br
		return
	}
	d.enc, d.dec = Windows1252, &singleByteReader{src: d.br, cm: &windows1252}
}

// asciiPrefix is the length of b's leading run of ASCII bytes.
func asciiPrefix(b []byte) int {
	i := 0
	for ; i+8 <= len(b); i += 8 {
		w := b[i : i+8 : i+8]
		if (w[0]|w[1]|w[2]|w[3]|w[4]|w[5]|w[6]|w[7])&0x80 != 0 {
			break
		}
	}
	for i < len(b) && b[i] < utf8.RuneSelf {
		i++
	}
	return i
}

// singleByteReader decodes a single-byte character set: the byte's
// character from a table of the upper half, or, for a byte the set leaves
// undefined (utf8.RuneError in the table), the invalid byte 0xFF, so the
// row is reported rather than let through changed (golang.org/x/text's
// transform.Reader would write U+FFFD). The tables are written here, not
// taken from golang.org/x/text/encoding/charmap, whose package keeps every
// code page it has (about 23 KB gzip of the module); a test holds them to
// x/text's.
type singleByteReader struct {
	src  *bufio.Reader
	cm   *upperHalf
	pend []byte // the rest of a character p had no room for
	pbuf [utf8.UTFMax]byte
}

func (s *singleByteReader) Read(p []byte) (int, error) {
	if len(s.pend) > 0 || len(p) == 0 {
		n := copy(p, s.pend)
		s.pend = s.pend[n:]
		return n, nil
	}
	if b, err := s.src.Peek(1); len(b) == 0 {
		return 0, err
	}
	b, _ := s.src.Peek(s.src.Buffered())
	i, n := 0, 0
	for i < len(b) && n < len(p) {
		if b[i] < utf8.RuneSelf {
			k := asciiPrefix(b[i:min(len(b), i+len(p)-n)])
			n += copy(p[n:], b[i:i+k])
			i += k
			continue
		}
		var e [utf8.UTFMax]byte
		m := 1
		if r := s.cm[b[i]-0x80]; r == utf8.RuneError {
			e[0] = 0xFF
		} else {
			m = utf8.EncodeRune(e[:], r)
		}
		i++
		k := copy(p[n:], e[:m])
		n += k
		if k < m {
			s.pbuf = e
			s.pend = s.pbuf[k:m]
			break
		}
	}
	s.src.Discard(i)
	return n, nil
}

// utf16Reader transcodes UTF-16 to UTF-8 as it is read. (x/text's UTF-16
// decoder replaces an unpaired surrogate with U+FFFD; this one marks it.)
type utf16Reader struct {
	src  io.Reader
	le   bool
	out  []byte // transcoded bytes not yet returned
	obuf []byte // backing store of out
	in   [8 << 10]byte
	odd  []byte // a byte left over from the previous read
	hi   rune   // pending high surrogate, 0 if none
	done bool
	err  error // what ended the input: io.EOF or a read error
}

func (u *utf16Reader) Read(p []byte) (int, error) {
	for len(u.out) == 0 {
		if u.done {
			return 0, u.err
		}
		u.fill()
	}
	n := copy(p, u.out)
	u.out = u.out[n:]
	return n, nil
}

func (u *utf16Reader) fill() {
	buf := u.in[:0]
	buf = append(buf, u.odd...)
	u.odd = u.odd[:0]
	n, err := io.ReadAtLeast(u.src, u.in[len(buf):], 2-len(buf))
	buf = u.in[:len(buf)+n]
	out := u.obuf[:0]
	if cap(out) < 3*len(u.in) {
		out = make([]byte, 0, 3*len(u.in))
	}
	i := 0
	for ; i+1 < len(buf); i += 2 {
		var c rune
		if u.le {
			c = rune(buf[i]) | rune(buf[i+1])<<8
		} else {
			c = rune(buf[i])<<8 | rune(buf[i+1])
		}
		out = u.appendUnit(out, c)
	}
	if i < len(buf) {
		u.odd = append(u.odd, buf[i])
	}
	if err != nil { // the end or a read error: flush what is pending
		if u.hi != 0 {
			out = append(out, 0xFF)
			u.hi = 0
		}
		if len(u.odd) > 0 {
			out = append(out, 0xFF)
			u.odd = u.odd[:0]
		}
		u.done = true
		u.err = err
		if err == io.ErrUnexpectedEOF { // an odd final byte, marked above
			u.err = io.EOF
		}
	}
	u.obuf = out
	u.out = out
}

func (u *utf16Reader) appendUnit(out []byte, c rune) []byte {
	switch {
	case u.hi != 0 && c >= 0xDC00 && c < 0xE000:
		r := utf16.DecodeRune(u.hi, c)
		u.hi = 0
		return utf8.AppendRune(out, r)
	case u.hi != 0:
		out = append(out, 0xFF)
		u.hi = 0
	}
	switch {
	case c >= 0xD800 && c < 0xDC00:
		u.hi = c
		return out
	case c >= 0xDC00 && c < 0xE000:
		return append(out, 0xFF)
	}
	return utf8.AppendRune(out, c)
}

// upperHalf is a single-byte set's characters for the bytes 0x80 to 0xFF.
type upperHalf [128]rune

// latin1 is ISO 8859-1: every byte is the code point of its value.
var latin1 = func() (t upperHalf) {
	for i := range t {
		t[i] = rune(0x80 + i)
	}
	return t
}()

// windows1252 is ISO 8859-1 but for 0x80 to 0x9F, where five bytes are
// undefined.
var windows1252 = func() upperHalf {
	t := latin1
	const x = utf8.RuneError
	copy(t[:32], []rune{
		0x20AC, x, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, x, 0x017D, x,
		x, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, x, 0x017E, 0x0178,
	})
	return t
}()
