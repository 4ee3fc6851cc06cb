// Package directory reads a users file — the CSV export the audit reads
// (docs/audit.md) — into the map the decision service uses to turn the
// caller of a dial request (an extension) into a class of service, so a
// SIP server can ask "may extension 2001 dial this number?" without knowing
// classes of service (`tollgate serve --users FILE`, docs/kamailio.md).
//
// Only three columns are read: the extension, the alternate extensions and
// the class of service. The file is read as the audit reads it, by package
// export (the header names, the CSV with its line numbers, the encodings
// and line ends), so a file the audit accepts is one the service does.
// Every other column (PINs and passwords included) is skipped and never
// kept or printed. A file that cannot be trusted to say who is who is refused as a
// whole, with the line that is wrong: a service that guessed would let a
// caller through under the wrong class of service.
package directory

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/tollgate/tollgate/export"
)

// MaxFileBytes bounds a users file. BAT files hold at most 5,000 rows; a
// directory of a million users with every audit column stays below it.
const MaxFileBytes = 256 << 20

// maxFileBytes is MaxFileBytes, lowered by a test.
var maxFileBytes int64 = MaxFileBytes

// Directory maps extensions to classes of service. It is immutable once
// read and safe for concurrent use.
type Directory struct {
	name       string
	encoding   export.Encoding // what the file was read as
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
// (the zero value detects it, as the audit does).
func Load(path, defaultCOS string, enc export.Encoding) (*Directory, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return Read(path, f, defaultCOS, enc)
}

// Read reads a users file from r; name is used in errors.
func Read(name string, r io.Reader, defaultCOS string, enc export.Encoding) (*Directory, error) {
	var raw int64
	cr, lay, err := export.Open(&countingReader{io.LimitReader(r, maxFileBytes+1), &raw}, enc)
	if err != nil {
		return nil, formatError(name, err)
	}
	d := &Directory{
		name: name, byExt: make(map[string]string),
		defaultCOS: strings.TrimSpace(defaultCOS), firstUse: make(map[string]int),
	}
	if d.defaultCOS != "" {
		d.firstUse[d.defaultCOS] = 0
	}
	if err := d.parse(cr, lay, &raw); err != nil {
		return nil, err
	}
	// Detection may decide late (at the first non-ASCII byte), so the
	// encoding is known only now.
	d.encoding = cr.Encoding()
	return d, nil
}

// formatError names the file and the line an export error is about; a
// *export.FormatError is the file's fault (ErrFormat), anything else a
// read error. Neither quotes a cell.
func formatError(name string, err error) error {
	var fe *export.FormatError
	switch {
	case !errors.As(err, &fe):
		return fmt.Errorf("%s: %w", name, err)
	case fe.Line > 0:
		return fmt.Errorf("%s line %d: %w: %s", name, fe.Line, ErrFormat, fe.Msg)
	}
	return fmt.Errorf("%s: %w: %s", name, ErrFormat, fe.Msg)
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

// parse reads the rows. A row that cannot be read (broken quoting,
// undecodable text, a field count not the header's) stops the load with
// its line: the service must not guess who is who.
func (d *Directory) parse(cr *export.Reader, lay *export.Layout, raw *int64) error {
	ext, hasExt := lay.Index(export.Extension)
	alt, hasAlt := lay.Index(export.AltExtensions)
	cos, hasCOS := lay.Index(export.COS)
	if !hasExt {
		return fmt.Errorf("%s line %d: %w: no extension column (looked for %s)", d.name, cr.HeaderLine(), ErrFormat, strings.Join(export.Names(export.Extension), ", "))
	}
	if !hasCOS {
		return fmt.Errorf("%s line %d: %w: no class-of-service column (looked for %s)", d.name, cr.HeaderLine(), ErrFormat, strings.Join(export.Names(export.COS), ", "))
	}
	lineOf := map[string]int{} // extension → line that listed it
	var arena []string
	for {
		// Bounded twice: the bytes read, and the text they decode to (a
		// Windows-1252 byte can take three bytes of UTF-8).
		if *raw > maxFileBytes || cr.Offset() > maxFileBytes {
			return fmt.Errorf("%s: %w: larger than %d bytes", d.name, ErrFormat, maxFileBytes)
		}
		row, a, err := cr.Next(arena[:0])
		arena = a
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("%s: %w", d.name, err)
		}
		line := row.Line
		switch {
		case row.Bad != "":
			return fmt.Errorf("%s line %d: %w: %s", d.name, line, ErrFormat, row.Bad)
		case len(row.Fields) != lay.Width():
			return fmt.Errorf("%s line %d: %w: wrong field count: %d fields, the header has %d", d.name, line, ErrFormat, len(row.Fields), lay.Width())
		}
		class := strings.Clone(export.Value(row.Fields[cos]))
		if class == "" {
			class = d.defaultCOS
		}
		exts := []string{export.Value(row.Fields[ext])}
		if hasAlt {
			for _, a := range strings.Split(export.Value(row.Fields[alt]), ";") {
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
						d.name, line, ErrFormat, export.Quote(e), export.Quote(class), prev, export.Quote(d.byExt[e]))
				}
				continue
			}
			// Clone: the row's fields share one string with its other
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
	if *raw > maxFileBytes || cr.Offset() > maxFileBytes {
		return fmt.Errorf("%s: %w: larger than %d bytes", d.name, ErrFormat, maxFileBytes)
	}
	return nil
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

// Encoding is the encoding the file was read as: export.UTF8,
// export.UTF8BOM, export.UTF16LE, export.UTF16BE, export.Windows1252 or
// export.Latin1.
func (d *Directory) Encoding() export.Encoding { return d.encoding }

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
		where, ErrFormat, export.Quote(b.class), strings.Join(quoted, ", "))
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
