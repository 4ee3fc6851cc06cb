package export

import (
	"errors"
	"io"

	"github.com/tollgate/tollgate/export/internal/textenc"
)

// Encoding names the encoding of an export's bytes, as the --encoding
// flags take it and as summaries print what a file was read with. The
// zero value is Auto.
type Encoding string

// The encodings. UTF8BOM, UTF16LE and UTF16BE are what a file turns out
// to be; ParseEncoding takes them too, as aliases of UTF8 and UTF16.
const (
	// Auto reads a byte-order mark; without one, the text from the first
	// non-ASCII byte decides between UTF-8 and Windows-1252.
	Auto        Encoding = "auto"
	UTF8        Encoding = "utf-8"
	UTF8BOM     Encoding = "utf-8-bom"
	UTF16       Encoding = "utf-16" // with a mark, or little-endian without one
	UTF16LE     Encoding = "utf-16le"
	UTF16BE     Encoding = "utf-16be"
	Windows1252 Encoding = "windows-1252" // what Excel saves as "CSV" on a Western Windows
	Latin1      Encoding = "latin-1"
)

// EncodingNames lists the names ParseEncoding takes, for usage messages.
const EncodingNames = "auto, utf-8, utf-16, utf-16le, utf-16be, windows-1252 (or cp1252), latin-1 (or iso-8859-1)"

// ParseEncoding reads an encoding name in any case, with the usual
// aliases (cp1252, iso-8859-1, utf8); "" is Auto.
func ParseEncoding(name string) (Encoding, error) {
	e, err := textenc.Parse(name)
	return Encoding(e), err
}

// SniffBytes is how much text auto detection looks at from the first
// non-ASCII byte; until that byte comes, however late, the text is passed
// through as the ASCII it is.
const SniffBytes = 64 << 10

// Decode returns the text of r read as enc, as UTF-8 (a byte-order mark
// dropped): what a Reader parses, as long as the Offset it reaches at the
// end (line ends are rewritten, never added or removed). Undecodable text
// is passed on as bytes that are not valid UTF-8, never repaired. Its
// errors are NewReader's.
func Decode(r io.Reader, enc Encoding) (io.Reader, error) {
	dec, err := textenc.NewReader(r, string(enc))
	var me *textenc.MarkError
	if errors.As(err, &me) {
		return nil, &FormatError{Msg: err.Error()}
	}
	if err != nil {
		return nil, err
	}
	return dec, nil
}
