// Package directory reads a users file — the CSV export the audit reads
// (docs/audit.md) — into the map the decision service uses to turn the
// caller of a dial request (an extension) into a class of service, so a
// SIP server can ask "may extension 2001 dial this number?" without knowing
// classes of service (`tollgate serve --users FILE`, docs/kamailio.md).
//
// Only three columns are read: the extension, the alternate extensions and
// the class of service, under the header names the audit recognises. Every
// other column (PINs and passwords included) is skipped and never kept or
// printed. A file that cannot be trusted to say who is who is refused as a
// whole, with the line that is wrong: a service that guessed would let a
// caller through under the wrong class of service.
package directory

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/tollgate/tollgate/internal/textenc"
)

// MaxFileBytes bounds a users file. BAT files hold at most 5,000 rows; a
// directory of a million users with every audit column stays below it.
const MaxFileBytes = 256 << 20

// Header names, after lower-casing and removing spaces and underscores, as
// in docs/audit.md's column table.
var (
	extensionNames = []string{"extension", "directorynumber", "dn", "primaryextension", "dtmfaccessid"}
	altNames       = []string{"alternateextensions", "alternateextension", "altextensions", "altextension"}
	cosNames       = []string{"cos", "classofservice", "cosdisplayname", "cosname"}
)

// Directory maps extensions to classes of service. It is immutable once
// read and safe for concurrent use.
type Directory struct {
	name       string
	encoding   string // what the file was read as (textenc)
	byExt      map[string]string
	defaultCOS string
	firstUse   map[string]int // class of service → first line naming it
	users      int
}

// ErrFormat is wrapped by every error about the file's content.
var ErrFormat = errors.New("bad users file")

// Load reads the users file at path. defaultCOS, when not empty, is the
// class of service of a caller the file does not list (and of a listed
// user whose class-of-service field is empty); when empty, such a caller
// has none and the service refuses the request. enc is the file's encoding
// (a textenc name; "" detects it as the audit does).
func Load(path, defaultCOS, enc string) (*Directory, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return Read(path, f, defaultCOS, enc)
}

// Read reads a users file from r; name is used in errors.
func Read(name string, r io.Reader, defaultCOS, enc string) (*Directory, error) {
	var raw int64
	dec, err := textenc.NewReader(&countingReader{io.LimitReader(r, MaxFileBytes+1), &raw}, enc)
	if err != nil {
		return nil, fmt.Errorf("%s: %w: %v", name, ErrFormat, err)
	}
	// Bounded twice: the bytes read, and the text they decode to (a
	// Windows-1252 byte can take three bytes of UTF-8).
	text, err := io.ReadAll(io.LimitReader(dec, MaxFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if raw > MaxFileBytes || len(text) > MaxFileBytes {
		return nil, fmt.Errorf("%s: %w: larger than %d bytes", name, ErrFormat, MaxFileBytes)
	}
	// A file with CR line ends (classic Mac OS) would be one header line.
	if textenc.CRLineEnds(text, true) {
		textenc.LoneCRsToLF(text)
	}
	if !utf8.Valid(text) {
		return nil, undecodable(name, text, dec)
	}
	d := &Directory{
		name: name, encoding: dec.Encoding(), byExt: make(map[string]string),
		defaultCOS: strings.TrimSpace(defaultCOS), firstUse: make(map[string]int),
	}
	if d.defaultCOS != "" {
		d.firstUse[d.defaultCOS] = 0
	}
	if err := d.parse(text); err != nil {
		return nil, err
	}
	return d, nil
}

// undecodable names the line and column where text stops being valid
// UTF-8, and what the decoder meant by that. It never quotes the line,
// which may hold a PIN.
func undecodable(name string, text []byte, dec *textenc.Reader) error {
	off := 0
	for off < len(text) {
		r, n := utf8.DecodeRune(text[off:])
		if r == utf8.RuneError && n <= 1 {
			break
		}
		off += n
	}
	start := bytes.LastIndexByte(text[:off], '\n') + 1
	line := bytes.Count(text[:start], []byte{'\n'}) + 1
	msg := dec.Problem()
	if h := dec.Hint(); h != "" {
		msg += " (" + h + ")"
	}
	return fmt.Errorf("%s line %d column %d: %w: undecodable text: %s", name, line, utf8.RuneCount(text[start:off])+1, ErrFormat, msg)
}

type countingReader struct {
	r io.Reader
	n *int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	*c.n += int64(n)
	return n, err
}

func (d *Directory) parse(text []byte) error {
	cr := csv.NewReader(bytes.NewReader(text))
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err == io.EOF {
		return fmt.Errorf("%s: %w: empty file, want a header line", d.name, ErrFormat)
	}
	if err != nil {
		return d.csvError(err)
	}
	ext, alt, cos := -1, -1, -1
	for i, h := range header {
		n := normalize(h)
		for _, c := range []struct {
			names []string
			col   *int
		}{{extensionNames, &ext}, {altNames, &alt}, {cosNames, &cos}} {
			if !contains(c.names, n) {
				continue
			}
			if *c.col >= 0 {
				return fmt.Errorf("%s line 1: %w: columns %d and %d both give the %s", d.name, ErrFormat, *c.col+1, i+1, c.names[0])
			}
			*c.col = i
		}
	}
	if ext < 0 {
		return fmt.Errorf("%s line 1: %w: no extension column (looked for %s)", d.name, ErrFormat, strings.Join(extensionNames, ", "))
	}
	if cos < 0 {
		return fmt.Errorf("%s line 1: %w: no class-of-service column (looked for %s)", d.name, ErrFormat, strings.Join(cosNames, ", "))
	}
	lineOf := map[string]int{} // extension → line that listed it
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return d.csvError(err)
		}
		line, _ := cr.FieldPos(0)
		class := strings.Clone(value(rec[cos]))
		if class == "" {
			class = d.defaultCOS
		}
		exts := []string{value(rec[ext])}
		if alt >= 0 {
			for _, a := range strings.Split(value(rec[alt]), ";") {
				exts = append(exts, strings.TrimSpace(a))
			}
		}
		listed := false
		for _, e := range exts {
			if e == "" {
				continue
			}
			if prev, dup := lineOf[e]; dup {
				if d.byExt[e] != class {
					return fmt.Errorf("%s line %d: %w: extension %s is listed again with class of service %s; line %d gives it %s",
						d.name, line, ErrFormat, short(e), short(class), prev, short(d.byExt[e]))
				}
				continue
			}
			// Clone: the record's fields share one string with its other
			// columns, which may hold a PIN or a password.
			e = strings.Clone(e)
			lineOf[e] = line
			listed = true
			if class == "" {
				// No class and no default: listed, so the error names the
				// user's missing class rather than an unknown caller.
				d.byExt[e] = ""
				continue
			}
			d.byExt[e] = class
			if _, seen := d.firstUse[class]; !seen {
				d.firstUse[class] = line
			}
		}
		if listed {
			d.users++
		}
	}
	return nil
}

// csvError names the file and the place encoding/csv stopped at; it never
// quotes the field, which may be a PIN or a password.
func (d *Directory) csvError(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s line %d column %d: %w: %v", d.name, pe.Line, pe.Column, ErrFormat, pe.Err)
	}
	return fmt.Errorf("%s: %w: %v", d.name, ErrFormat, err)
}

// ClassOfService returns the caller's class of service: the file's, else
// the default. ok is false when neither gives one.
func (d *Directory) ClassOfService(caller string) (string, bool) {
	cos, listed := d.byExt[strings.TrimSpace(caller)]
	if !listed || cos == "" {
		cos = d.defaultCOS
	}
	return cos, cos != ""
}

// Encoding is the encoding the file was read as (textenc's names:
// utf-8, utf-8-bom, utf-16le, utf-16be, windows-1252, latin-1).
func (d *Directory) Encoding() string { return d.encoding }

// Users is the number of rows that listed at least one new extension.
func (d *Directory) Users() int { return d.users }

// Extensions is the number of extensions (primary and alternate) listed.
func (d *Directory) Extensions() int { return len(d.byExt) }

// Default is the class of service of callers the file does not list.
func (d *Directory) Default() string { return d.defaultCOS }

// Classes returns the classes of service the directory can answer, sorted.
func (d *Directory) Classes() []string {
	out := make([]string, 0, len(d.firstUse))
	for c := range d.firstUse {
		out = append(out, c)
	}
	sort.Strings(out)
	return out
}

// CheckClasses returns an error naming the first line (or the default) that
// gives a class of service not in known, so a typo is found when the
// service starts rather than on a caller's first call.
func (d *Directory) CheckClasses(known []string) error {
	type use struct {
		class string
		line  int
	}
	var bad []use
	for c, line := range d.firstUse {
		if !contains(known, c) {
			bad = append(bad, use{c, line})
		}
	}
	if len(bad) == 0 {
		return nil
	}
	sort.Slice(bad, func(i, j int) bool { return bad[i].line < bad[j].line })
	quoted := make([]string, len(known))
	for i, k := range known {
		quoted[i] = strconv.Quote(k)
	}
	b := bad[0]
	where := d.name + " line " + strconv.Itoa(b.line)
	if b.line == 0 {
		where = "the default class of service"
	}
	return fmt.Errorf("%s: %w: class of service %s is not in the tables (classes: %s)",
		where, ErrFormat, short(b.class), strings.Join(quoted, ", "))
}

// maxQuoted bounds a value an error quotes: only the extension and class
// of service columns are ever quoted (values the service is told to
// trust, not secrets), and a cell of a megabyte makes no message.
const maxQuoted = 64

// short quotes v, cut to maxQuoted characters.
func short(v string) string {
	if r := []rune(v); len(r) > maxQuoted {
		return strconv.Quote(string(r[:maxQuoted-1])) + "… (" + strconv.Itoa(len(v)) + " bytes)"
	}
	return strconv.Quote(v)
}

// normalize lowers a header name and drops spaces and underscores, as the
// audit does.
func normalize(h string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(strings.TrimSpace(h)) {
		if r != ' ' && r != '_' && r != '\t' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// value trims a field; BAT's %null% means empty.
func value(s string) string {
	s = strings.TrimSpace(s)
	if strings.EqualFold(s, "%null%") {
		return ""
	}
	return s
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
