// Package jsonx reads and writes JSON without reflection. It is what the
// parts of tollgate that run inside the WebAssembly module (api, core,
// core/dialplan) use instead of encoding/json: encoding/json, with the
// reflect and fmt machinery it keeps alive, would cost about a quarter of
// the module's 1 MB gzip budget, and its reflective decoding is the
// slowest part of a call inside the module.
//
// Reading is strict and positional. A Decoder walks one document value by
// value; the caller says what it expects (Object, Array, String, Int,
// Bool) and gets an *Error naming the byte offset and the path of the
// value ("pin.min_length", "rows[3].pattern") when the document holds
// something else. A key may appear only once in an object, numbers and
// strings follow RFC 8259, and End refuses anything after the value.
// String replaces invalid UTF-8 inside a string (and \u escapes of lone
// UTF-16 surrogates) by U+FFFD, as encoding/json does; Text refuses them
// instead, for values that must reach the caller exactly as sent (secrets).
package jsonx

import (
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Kind is the type of a JSON value.
type Kind uint8

// Kinds. Invalid is the kind at the end of the input or before a byte that
// cannot start a value.
const (
	Invalid Kind = iota
	Null
	Bool
	Number
	String
	Array
	Object
)

// String names the kind with an article, for messages: "a string".
func (k Kind) String() string {
	switch k {
	case Null:
		return "null"
	case Bool:
		return "a boolean"
	case Number:
		return "a number"
	case String:
		return "a string"
	case Array:
		return "an array"
	case Object:
		return "an object"
	}
	return "not JSON"
}

// MaxDepth bounds the nesting of arrays and objects.
const MaxDepth = 512

// Error is a document that is not what the reader expected: malformed JSON
// (Syntax) or a well-formed value of the wrong type or range.
type Error struct {
	// Offset is the byte offset of the offending byte or value.
	Offset int
	// Path is the path of the offending value: keys joined by '.', array
	// indices in brackets ("rows[3].pattern"); empty for the document.
	Path string
	// Msg says what is wrong, without the path.
	Msg string
	// Syntax marks malformed JSON.
	Syntax bool
}

func (e *Error) Error() string {
	if e.Syntax {
		return "malformed JSON at byte " + strconv.Itoa(e.Offset) + ": " + e.Msg
	}
	if e.Path != "" {
		return e.Path + ": " + e.Msg
	}
	return e.Msg
}

// Position renders a byte offset of data as "line L, column C" (1-based;
// columns count characters).
func Position(data []byte, off int) string {
	off = min(max(off, 0), len(data))
	line, start := 1, 0
	for i := 0; i < off; i++ {
		if data[i] == '\n' {
			line, start = line+1, i+1
		}
	}
	col := 1 + utf8.RuneCount(data[start:off])
	return "line " + strconv.Itoa(line) + ", column " + strconv.Itoa(col)
}

type pathElem struct {
	key   string
	index int  // -1 for a key
	hide  bool // HideKey: render the key by its length only
}

// Keys in paths. A path names the member an error is about, and errors
// end up in answers and logs, while a key is whatever the document's
// author typed: a misplaced PIN or password, or a megabyte of junk. A key
// is quoted in a path only when it looks like the field names of
// tollgate's formats (SafeKey); any other key is named by its length.
const maxSafeKey = 32

// SafeKey reports whether key looks like a field name and may be quoted
// in a message: 1 to 32 bytes of lower-case ASCII letters and '_',
// starting with a letter. Every field name of tollgate's documents and
// requests has this shape, and no PIN (digits) or password with a digit,
// capital or symbol in it does.
func SafeKey(key string) bool {
	if len(key) == 0 || len(key) > maxSafeKey || key[0] < 'a' || key[0] > 'z' {
		return false
	}
	for i := 0; i < len(key); i++ {
		if c := key[i]; (c < 'a' || c > 'z') && c != '_' {
			return false
		}
	}
	return true
}

// AppendKey appends how a path shows key: the key itself when SafeKey
// and not hide, else "<N-byte key>".
func AppendKey(b []byte, key string, hide bool) []byte {
	if !hide && SafeKey(key) {
		return append(b, key...)
	}
	b = append(b, '<')
	b = strconv.AppendInt(b, int64(len(key)), 10)
	return append(b, "-byte key>"...)
}

// EqualFoldASCII is strings.EqualFold for ASCII names, without the
// Unicode tables EqualFold would link into the module.
func EqualFoldASCII(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// maxPath bounds a rendered path (all ASCII: keys are shown only when
// SafeKey): at most MaxDepth levels of short labels, but a log line should
// not be kilobytes of "a.a.a".
const maxPath = 256

// Decoder reads one JSON document. The zero value is not usable; see
// NewDecoder.
type Decoder struct {
	data []byte
	pos  int
	path []pathElem
}

// NewDecoder returns a Decoder reading data.
func NewDecoder(data []byte) *Decoder {
	return &Decoder{data: data}
}

// Offset is the offset of the next byte the Decoder will read.
func (d *Decoder) Offset() int { return d.pos }

// Path renders the path of the value being read. Keys are shown by
// AppendKey (a key that does not look like a field name, or one HideKey
// hid, by its length only), and a path longer than 256 bytes keeps its
// end after "...".
func (d *Decoder) Path() string {
	var b []byte
	for _, e := range d.path {
		if e.index >= 0 {
			b = append(b, '[')
			b = strconv.AppendInt(b, int64(e.index), 10)
			b = append(b, ']')
			continue
		}
		if len(b) > 0 {
			b = append(b, '.')
		}
		b = AppendKey(b, e.key, e.hide)
	}
	if len(b) > maxPath {
		b = append([]byte("..."), b[len(b)-maxPath+3:]...)
	}
	return string(b)
}

// HideKey makes Path show the key of the member being read by its length
// only, even when it looks like a field name: for an unknown key that is
// not a near miss of a known one, which may be anything the sender typed.
func (d *Decoder) HideKey() {
	if n := len(d.path); n > 0 && d.path[n-1].index < 0 {
		d.path[n-1].hide = true
	}
}

// Fail returns an error about the value at the current position and path.
func (d *Decoder) Fail(msg string) *Error {
	d.space()
	return &Error{Offset: d.pos, Path: d.Path(), Msg: msg}
}

func (d *Decoder) syntax(msg string) *Error {
	return &Error{Offset: d.pos, Path: d.Path(), Msg: msg, Syntax: true}
}

// unexpected is the syntax error for the byte at d.pos (or the end).
func (d *Decoder) unexpected(context string) *Error {
	if d.pos >= len(d.data) {
		return d.syntax("unexpected end of JSON input")
	}
	return d.syntax(invalidChar(d.data[d.pos]) + " " + context)
}

// invalidChar names a byte that does not belong where it is. Only JSON's
// own punctuation is shown: any other byte may be part of an unquoted
// secret ({"pin": 12a4}), and the error's offset locates it anyway.
func invalidChar(c byte) string {
	if strings.IndexByte(`{}[],:"`, c) >= 0 {
		return "invalid character " + quoteChar(c)
	}
	return "invalid character"
}

// inString is the syntax error for a bad byte inside a string literal. It
// gives the offset but not the byte: the string may be a PIN or password.
func (d *Decoder) inString(what string) *Error {
	return d.syntax(what + " in string literal")
}

func quoteChar(c byte) string {
	switch {
	case c == '\'':
		return `'\''`
	case c == '"':
		return `'"'`
	case c < 0x20 || c >= 0x7f:
		const hex = "0123456789abcdef"
		return `'\x` + string([]byte{hex[c>>4], hex[c&0xf]}) + "'"
	}
	return "'" + string(rune(c)) + "'"
}

func (d *Decoder) space() {
	for d.pos < len(d.data) {
		switch d.data[d.pos] {
		case ' ', '\t', '\n', '\r':
			d.pos++
		default:
			return
		}
	}
}

// Kind skips white space and reports the kind of the next value.
func (d *Decoder) Kind() Kind {
	d.space()
	if d.pos >= len(d.data) {
		return Invalid
	}
	switch c := d.data[d.pos]; {
	case c == '{':
		return Object
	case c == '[':
		return Array
	case c == '"':
		return String
	case c == 't' || c == 'f':
		return Bool
	case c == 'n':
		return Null
	case c == '-' || c >= '0' && c <= '9':
		return Number
	}
	return Invalid
}

// want returns the error for a value of the wrong kind; the value's text is
// quoted only when it cannot be a secret (numbers, literals).
func (d *Decoder) want(what string) *Error {
	k := d.Kind()
	if k == Invalid {
		return d.unexpected("looking for beginning of value")
	}
	return &Error{Offset: d.pos, Path: d.Path(), Msg: "want " + what + ", got " + k.String()}
}

// End checks that only white space follows the value read.
func (d *Decoder) End() error {
	d.space()
	if d.pos < len(d.data) {
		d.path = d.path[:0]
		return d.syntax(invalidChar(d.data[d.pos]) + " after top-level value")
	}
	return nil
}

// Null consumes a null and reports whether there was one.
func (d *Decoder) Null() bool {
	if d.Kind() == Null && len(d.data)-d.pos >= 4 && string(d.data[d.pos:d.pos+4]) == "null" {
		d.pos += 4
		return true
	}
	return false
}

func (d *Decoder) literal(lit string) error {
	for i := 0; i < len(lit); i++ {
		if d.pos >= len(d.data) || d.data[d.pos] != lit[i] {
			if d.pos >= len(d.data) {
				return d.syntax("unexpected end of JSON input")
			}
			return d.unexpected("in literal " + lit + " (expecting " + quoteChar(lit[i]) + ")")
		}
		d.pos++
	}
	return nil
}

// Bool reads true or false.
func (d *Decoder) Bool() (bool, error) {
	if d.Kind() != Bool {
		return false, d.want("true or false")
	}
	if d.data[d.pos] == 't' {
		return true, d.literal("true")
	}
	return false, d.literal("false")
}

// number scans a number per RFC 8259 and returns its text and whether it
// is an integer (no fraction, no exponent).
func (d *Decoder) number() (text []byte, integer bool, err error) {
	start := d.pos
	if d.data[d.pos] == '-' {
		d.pos++
	}
	digits := func() bool {
		n := 0
		for d.pos < len(d.data) && d.data[d.pos] >= '0' && d.data[d.pos] <= '9' {
			d.pos++
			n++
		}
		return n > 0
	}
	switch {
	case d.pos < len(d.data) && d.data[d.pos] == '0':
		d.pos++
	case !digits():
		return nil, false, d.unexpected("in numeric literal")
	}
	integer = true
	if d.pos < len(d.data) && d.data[d.pos] == '.' {
		d.pos++
		integer = false
		if !digits() {
			return nil, false, d.unexpected("after decimal point in numeric literal")
		}
	}
	if d.pos < len(d.data) && (d.data[d.pos] == 'e' || d.data[d.pos] == 'E') {
		d.pos++
		integer = false
		if d.pos < len(d.data) && (d.data[d.pos] == '+' || d.data[d.pos] == '-') {
			d.pos++
		}
		if !digits() {
			return nil, false, d.unexpected("in exponent of numeric literal")
		}
	}
	return d.data[start:d.pos], integer, nil
}

// Int reads a whole number that fits an int.
func (d *Decoder) Int() (int, error) {
	if d.Kind() != Number {
		return 0, d.want("an integer")
	}
	start := d.pos
	text, integer, err := d.number()
	if err != nil {
		return 0, err
	}
	shown := string(text)
	if len(shown) > 40 {
		shown = shown[:40] + "…"
	}
	if !integer {
		return 0, &Error{Offset: start, Path: d.Path(), Msg: shown + " is not a whole number; want an integer"}
	}
	n, ok := Atoi(string(text))
	if !ok {
		return 0, &Error{Offset: start, Path: d.Path(), Msg: shown + " is too large; want an integer"}
	}
	return n, nil
}

// String reads a string. Invalid UTF-8 and lone surrogate escapes become
// U+FFFD.
func (d *Decoder) String() (string, error) {
	if d.Kind() != String {
		return "", d.want("a string")
	}
	return d.str(false)
}

// Text reads a string that must arrive exactly as sent: a string holding
// invalid UTF-8, or a \u escape of a lone UTF-16 surrogate (which no
// UTF-8 text can hold), is an error where String would put U+FFFD in its
// place. A secret read with String would be hashed and compared as a text
// other than the one sent, and secrets differing only there ("Kx93\xff",
// "Kx93\xfe") would become one. The error gives the byte offset of the
// first bad byte or escape, never the byte.
func (d *Decoder) Text() (string, error) {
	if d.Kind() != String {
		return "", d.want("a string")
	}
	return d.str(true)
}

// notText is Text's error for the bad byte or escape at off.
func (d *Decoder) notText(off int, surrogate bool) *Error {
	what := "invalid UTF-8 at byte " + strconv.Itoa(off)
	if surrogate {
		what = "a \\u escape of a lone UTF-16 surrogate at byte " + strconv.Itoa(off)
	}
	return &Error{Offset: off, Path: d.Path(), Msg: "not valid Unicode text: " + what +
		"; this value is used exactly as sent, never repaired, so it must be UTF-8 text"}
}

// invalidUTF8 returns the index of the first byte of s that is not part of
// a UTF-8 sequence, or -1.
func invalidUTF8(s []byte) int {
	for i := 0; i < len(s); {
		if s[i] < utf8.RuneSelf {
			i++
			continue
		}
		r, n := utf8.DecodeRune(s[i:])
		if r == utf8.RuneError && n == 1 {
			return i
		}
		i += n
	}
	return -1
}

// str reads the string at d.pos (its opening quote). strict is Text's
// rule: no replacement, an error instead.
func (d *Decoder) str(strict bool) (string, error) {
	d.pos++ // the opening quote
	start := d.pos
	// Fast path: no escapes, ASCII or valid UTF-8.
	for d.pos < len(d.data) {
		c := d.data[d.pos]
		if c == '"' {
			s := d.data[start:d.pos]
			if utf8.Valid(s) {
				d.pos++
				return string(s), nil
			}
			if strict {
				return "", d.notText(start+invalidUTF8(s), false)
			}
			d.pos++
			return string(fixUTF8(nil, s)), nil
		}
		if c == '\\' || c < 0x20 {
			break
		}
		d.pos++
	}
	b := append([]byte(nil), d.data[start:d.pos]...)
	surrogateAt := -1 // the first lone surrogate escape, for strict
	for {
		if d.pos >= len(d.data) {
			return "", d.syntax("unexpected end of JSON input")
		}
		c := d.data[d.pos]
		switch {
		case c == '"':
			valid := utf8.Valid(b)
			if strict && (!valid || surrogateAt >= 0) {
				// Escapes write valid UTF-8 (U+FFFD for a lone surrogate);
				// an invalid byte came as it was, so look in the source.
				bad := invalidUTF8(d.data[start:d.pos])
				if bad >= 0 && (surrogateAt < 0 || start+bad < surrogateAt) {
					return "", d.notText(start+bad, false)
				}
				return "", d.notText(surrogateAt, true)
			}
			d.pos++
			if valid {
				return string(b), nil
			}
			return string(fixUTF8(nil, b)), nil
		case c < 0x20:
			return "", d.inString("a control character")
		case c != '\\':
			b = append(b, c)
			d.pos++
			continue
		}
		d.pos++ // the backslash
		if d.pos >= len(d.data) {
			return "", d.syntax("unexpected end of JSON input")
		}
		switch e := d.data[d.pos]; e {
		case '"', '\\', '/':
			b = append(b, e)
		case 'b':
			b = append(b, '\b')
		case 'f':
			b = append(b, '\f')
		case 'n':
			b = append(b, '\n')
		case 'r':
			b = append(b, '\r')
		case 't':
			b = append(b, '\t')
		case 'u':
			escAt := d.pos - 1
			r, err := d.hex4()
			if err != nil {
				return "", err
			}
			if utf16.IsSurrogate(r) {
				r2 := rune(-1)
				if d.pos+2 < len(d.data) && d.data[d.pos+1] == '\\' && d.data[d.pos+2] == 'u' {
					save := d.pos
					d.pos += 2
					if r2, err = d.hex4(); err != nil {
						return "", err
					}
					if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
						r = dec
					} else {
						d.pos = save // not a pair: the second escape stands alone
						r = utf8.RuneError
					}
				} else {
					r = utf8.RuneError
				}
				if r == utf8.RuneError && surrogateAt < 0 {
					surrogateAt = escAt
				}
			}
			b = utf8.AppendRune(b, r)
		default:
			return "", d.inString("an invalid escape")
		}
		d.pos++
	}
}

// hex4 reads the four hex digits after \u; d.pos is at the 'u' and ends at
// the last digit.
func (d *Decoder) hex4() (rune, error) {
	var r rune
	for i := 0; i < 4; i++ {
		d.pos++
		if d.pos >= len(d.data) {
			return 0, d.syntax("unexpected end of JSON input")
		}
		c := d.data[d.pos]
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, d.inString("an invalid \\u escape")
		}
	}
	return r, nil
}

// fixUTF8 appends s to b with each invalid byte replaced by U+FFFD.
func fixUTF8(b, s []byte) []byte {
	for len(s) > 0 {
		r, n := utf8.DecodeRune(s)
		if r == utf8.RuneError && n == 1 {
			b = utf8.AppendRune(b, utf8.RuneError)
		} else {
			b = append(b, s[:n]...)
		}
		s = s[n:]
	}
	return b
}

// Object reads an object, calling fn for each member with the decoder
// positioned at the member's value, which fn reads (or Skips; a value fn
// leaves unread is skipped). A key that repeats is an error.
func (d *Decoder) Object(fn func(key string) error) error {
	if d.Kind() != Object {
		return d.want("an object")
	}
	if len(d.path) >= MaxDepth {
		return d.syntax("exceeded max depth")
	}
	d.pos++
	var small [8]string
	seen := small[:0]
	var many map[string]bool
	d.space()
	if d.pos < len(d.data) && d.data[d.pos] == '}' {
		d.pos++
		return nil
	}
	for {
		d.space()
		if d.pos >= len(d.data) || d.data[d.pos] != '"' {
			return d.unexpected("looking for beginning of object key string")
		}
		keyAt := d.pos
		key, err := d.str(false)
		if err != nil {
			return err
		}
		if many != nil {
			if many[key] {
				return d.duplicate(keyAt, key)
			}
			many[key] = true
		} else {
			for _, k := range seen {
				if k == key {
					return d.duplicate(keyAt, key)
				}
			}
			if seen = append(seen, key); len(seen) > 16 {
				many = make(map[string]bool, 32)
				for _, k := range seen {
					many[k] = true
				}
			}
		}
		d.space()
		if d.pos >= len(d.data) || d.data[d.pos] != ':' {
			return d.unexpected("after object key")
		}
		d.pos++
		d.path = append(d.path, pathElem{key: key, index: -1})
		if err := d.member(fn, key); err != nil {
			return err
		}
		d.path = d.path[:len(d.path)-1]
		d.space()
		if d.pos >= len(d.data) {
			return d.syntax("unexpected end of JSON input")
		}
		switch d.data[d.pos] {
		case ',':
			d.pos++
		case '}':
			d.pos++
			return nil
		default:
			return d.unexpected("after object key:value pair")
		}
	}
}

func (d *Decoder) duplicate(at int, key string) *Error {
	d.path = append(d.path, pathElem{key: key, index: -1})
	e := &Error{Offset: at, Path: d.Path(), Msg: "appears more than once; give each field once"}
	d.path = d.path[:len(d.path)-1]
	return e
}

// member runs fn on one value and skips what fn left unread.
func (d *Decoder) member(fn func(string) error, key string) error {
	d.space()
	start := d.pos
	if err := fn(key); err != nil {
		return err
	}
	if d.pos == start {
		return d.Skip()
	}
	return nil
}

// Array reads an array, calling fn for each element with the decoder
// positioned at it; fn reads it (or leaves it to be skipped).
func (d *Decoder) Array(fn func(i int) error) error {
	if d.Kind() != Array {
		return d.want("an array")
	}
	if len(d.path) >= MaxDepth {
		return d.syntax("exceeded max depth")
	}
	d.pos++
	d.space()
	if d.pos < len(d.data) && d.data[d.pos] == ']' {
		d.pos++
		return nil
	}
	for i := 0; ; i++ {
		d.path = append(d.path, pathElem{index: i})
		d.space()
		start := d.pos
		if err := fn(i); err != nil {
			return err
		}
		if d.pos == start {
			if err := d.Skip(); err != nil {
				return err
			}
		}
		d.path = d.path[:len(d.path)-1]
		d.space()
		if d.pos >= len(d.data) {
			return d.syntax("unexpected end of JSON input")
		}
		switch d.data[d.pos] {
		case ',':
			d.pos++
		case ']':
			d.pos++
			return nil
		default:
			return d.unexpected("after array element")
		}
	}
}

// Strings reads an array of strings; null reads as nil, [] as an empty,
// non-nil slice (so that a caller can tell "none" from "not given").
func (d *Decoder) Strings() ([]string, error) {
	if d.Null() {
		return nil, nil
	}
	out := []string{} // [] is an empty list, not an absent one
	err := d.Array(func(int) error {
		s, err := d.String()
		out = append(out, s)
		return err
	})
	return out, err
}

// Skip reads and discards one value, checking its syntax.
func (d *Decoder) Skip() error {
	switch d.Kind() {
	case Object:
		return d.Object(func(string) error { return d.Skip() })
	case Array:
		return d.Array(func(int) error { return d.Skip() })
	case String:
		_, err := d.str(false)
		return err
	case Number:
		_, _, err := d.number()
		return err
	case Bool:
		if d.data[d.pos] == 't' {
			return d.literal("true")
		}
		return d.literal("false")
	case Null:
		return d.literal("null")
	}
	return d.unexpected("looking for beginning of value")
}

// Raw reads one value, checking its syntax, and returns its text.
func (d *Decoder) Raw() ([]byte, error) {
	d.space()
	start := d.pos
	if err := d.Skip(); err != nil {
		return nil, err
	}
	return d.data[start:d.pos], nil
}

// Valid reports whether data is one well-formed JSON value (with the
// Decoder's rules: keys once each, depth at most MaxDepth).
func Valid(data []byte) bool {
	d := NewDecoder(data)
	return d.Skip() == nil && d.End() == nil
}

// AppendString appends s as a JSON string literal. Invalid UTF-8 becomes
// U+FFFD; control characters and U+2028/U+2029 are escaped, so the result
// is also a valid JavaScript literal.
func AppendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += n
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xf])
			i += n
			start = i
			continue
		}
		i += n
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
