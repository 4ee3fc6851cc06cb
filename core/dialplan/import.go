package dialplan

import (
	"bytes"
	"slices"
	"strconv"
	"strings"

	"github.com/tollgate/tollgate/internal/jsonx"
)

// Import formats, as Detect names them.
const (
	FormatTables   = "tables"   // tollgate's own JSON document
	FormatCUPI     = "cupi"     // Unity Connection REST (CUPI) JSON
	FormatAsterisk = "asterisk" // Asterisk extensions.conf
	FormatExchange = "exchange" // Exchange UM dialing-rule group strings
)

// Detect guesses the format of a tables file from its name and content.
func Detect(path string, data []byte) string {
	t := bytes.TrimSpace(data)
	if len(t) > 0 && (t[0] == '{' || (t[0] == '[' && jsonx.Valid(t))) {
		if bytes.Contains(t, []byte(`"RestrictionTable`)) || bytes.Contains(t, []byte(`"NumberPattern"`)) || bytes.Contains(t, []byte(`"DisplayName"`)) {
			return FormatCUPI
		}
		return FormatTables
	}
	if strings.HasSuffix(path, ".conf") || bytes.Contains(data, []byte("exten")) {
		return FormatAsterisk
	}
	return FormatExchange
}

// Load reads a tables file of any supported format (Detect) and compiles
// it. Errors carry path and, for text formats, the line.
func Load(path string, data []byte) (*Set, error) { return LoadOptions(path, data, Options{}) }

// LoadOptions is Load with options.
func LoadOptions(path string, data []byte, o Options) (*Set, error) {
	if Detect(path, data) == FormatTables {
		return ParseOptions(path, data, o)
	}
	d, err := Import(path, data)
	if err != nil {
		return nil, err
	}
	return CompileOptions(path, d, o)
}

// Import converts a CUPI JSON export, an Asterisk extensions.conf or
// Exchange UM dialing-rule strings into a Document.
func Import(path string, data []byte) (*Document, error) {
	switch Detect(path, data) {
	case FormatCUPI:
		return ImportCUPI(path, data)
	case FormatAsterisk:
		return ImportAsterisk(path, data)
	case FormatExchange:
		return ImportExchange(path, data)
	}
	return decodeDocument(path, data)
}

// cupiPattern and cupiTable hold what tollgate reads of CUPI's objects;
// the other members (URI, ObjectId, ...) are skipped.
type cupiPattern struct {
	NumberPattern  string
	Blocked        string
	SequenceNumber string
}

type cupiTable struct {
	DisplayName string
	MinDigits   string
	MaxDigits   string
	Patterns    []cupiPattern // under RestrictionPatterns
	Listed      []cupiPattern // the list directly in the table object
}

// ImportCUPI reads restriction tables as Unity Connection's REST API
// (CUPI) returns them: a RestrictionTable object with its patterns (the
// answer of .../restrictionpatterns) under "RestrictionPatterns", or a
// {"RestrictionTables": {"RestrictionTable": [...]}} list of such objects.
// Patterns are ordered by SequenceNumber; Blocked defaults to true as in
// CUPI. DefaultBlocked is ignored: the final * row carries the verdict.
func ImportCUPI(path string, data []byte) (*Document, error) {
	dec := jsonx.NewDecoder(data)
	var tables, single []cupiTable
	var top cupiTable // the table's own members at the top level
	err := dec.Object(func(key string) error {
		switch key {
		case "RestrictionTables":
			if dec.Null() {
				return nil
			}
			return dec.Object(func(key string) error {
				if key != "RestrictionTable" {
					return nil
				}
				return readCUPIList(dec, &tables, readCUPITable)
			})
		case "RestrictionTable":
			return readCUPIList(dec, &single, readCUPITable)
		}
		return readCUPITableMember(dec, key, &top)
	})
	if err == nil {
		err = dec.End()
	}
	if err != nil {
		return nil, decodeError(path, data, err)
	}
	tables = append(tables, single...)
	if top.DisplayName != "" {
		tables = append(tables, top)
	}
	if len(tables) == 0 {
		return nil, &ParseError{Path: path, Row: -1, Err: ErrUnknownFormat, Msg: "no RestrictionTable with a DisplayName found"}
	}
	d := &Document{}
	for _, ct := range tables {
		td := TableDoc{Name: ct.DisplayName, Dialect: DialectCUC}
		for _, f := range [...]struct {
			name string
			v    string
			n    *int
		}{{"MinDigits", ct.MinDigits, &td.MinDigits}, {"MaxDigits", ct.MaxDigits, &td.MaxDigits}} {
			if f.v == "" {
				continue
			}
			n, ok := jsonx.Atoi(f.v)
			if !ok {
				return nil, &ParseError{Path: path, Table: ct.DisplayName, Row: -1, Field: f.name, Err: ErrSyntax, Msg: quote(f.v) + " is not a number"}
			}
			*f.n = n
		}
		pats := append(ct.Patterns, ct.Listed...)
		seq := func(p cupiPattern) int {
			n, ok := jsonx.Atoi(p.SequenceNumber)
			if !ok {
				return 1 << 30
			}
			return n
		}
		slices.SortStableFunc(pats, func(a, b cupiPattern) int { return seq(a) - seq(b) })
		for i, p := range pats {
			blocked := true
			switch strings.ToLower(p.Blocked) {
			case "", "true", "1":
			case "false", "0":
				blocked = false
			default:
				return nil, &ParseError{Path: path, Table: ct.DisplayName, Row: i, Field: "Blocked", Err: ErrSyntax, Msg: quote(p.Blocked) + " is not true or false"}
			}
			td.Rows = append(td.Rows, RowDoc{Pattern: p.NumberPattern, Blocked: b(blocked)})
		}
		d.Tables = append(d.Tables, td)
	}
	return d, nil
}

// readCUPIList reads CUPI's list quirk into out: one element comes as an
// object, more as an array; null is none (a null element, a zero one).
func readCUPIList[T any](d *jsonx.Decoder, out *[]T, read func(*jsonx.Decoder, *T) error) error {
	switch d.Kind() {
	case jsonx.Null:
		d.Null()
		return nil
	case jsonx.Object:
		var v T
		if err := read(d, &v); err != nil {
			return err
		}
		*out = append(*out, v)
		return nil
	case jsonx.Array:
		return d.Array(func(int) error {
			var v T
			if !d.Null() {
				if err := read(d, &v); err != nil {
					return err
				}
			}
			*out = append(*out, v)
			return nil
		})
	}
	return d.Fail("want an object or an array, got " + d.Kind().String())
}

func readCUPITable(d *jsonx.Decoder, t *cupiTable) error {
	return d.Object(func(key string) error { return readCUPITableMember(d, key, t) })
}

// readCUPITableMember reads one member of a RestrictionTable object,
// skipping those tollgate has no use for.
func readCUPITableMember(d *jsonx.Decoder, key string, t *cupiTable) error {
	switch key {
	case "DisplayName":
		return readString(d, &t.DisplayName)
	case "MinDigits":
		return readCUPIValue(d, &t.MinDigits)
	case "MaxDigits":
		return readCUPIValue(d, &t.MaxDigits)
	case "RestrictionPatterns":
		if d.Null() {
			return nil
		}
		return d.Object(func(key string) error {
			if key != "RestrictionPattern" {
				return nil
			}
			return readCUPIList(d, &t.Patterns, readCUPIPattern)
		})
	case "RestrictionPattern":
		return readCUPIList(d, &t.Listed, readCUPIPattern)
	}
	return nil
}

func readCUPIPattern(d *jsonx.Decoder, p *cupiPattern) error {
	return d.Object(func(key string) error {
		switch key {
		case "NumberPattern":
			return readString(d, &p.NumberPattern)
		case "Blocked":
			return readCUPIValue(d, &p.Blocked)
		case "SequenceNumber":
			return readCUPIValue(d, &p.SequenceNumber)
		}
		return nil
	})
}

// readCUPIValue reads one of CUPI's scalars, which the REST API writes as
// strings ("40", "true") and some tools as numbers or booleans; null is
// "". Another value is kept as its JSON text, for the error that follows.
func readCUPIValue(d *jsonx.Decoder, v *string) error {
	switch d.Kind() {
	case jsonx.String:
		s, err := d.String()
		*v = s
		return err
	case jsonx.Null:
		d.Null()
		*v = ""
		return nil
	}
	raw, err := d.Raw()
	*v = string(raw)
	return err
}

// ImportAsterisk reads the contexts of an extensions.conf: each context
// becomes an asterisk table whose rows are its extensions, in Asterisk's
// own match precedence (exact extensions first, then patterns from the
// most to the least specific, position by position). An extension whose
// first priority runs Hangup, Congestion or Busy is blocked; any other
// (Dial, Goto, ...) is allowed. Contexts without extensions are skipped.
func ImportAsterisk(path string, data []byte) (*Document, error) {
	type ext struct {
		pattern string
		blocked bool
		line    int
		order   int
	}
	var names []string
	byCtx := map[string][]ext{}
	seen := map[string]map[string]bool{}
	ctx := ""
	for i, raw := range strings.Split(string(data), "\n") {
		line := raw
		if k := strings.IndexByte(line, ';'); k >= 0 && (k == 0 || line[k-1] != '\\') {
			line = line[:k]
		}
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		if line[0] == '[' {
			end := strings.IndexByte(line, ']')
			if end < 0 {
				return nil, &ParseError{Path: path, Line: i + 1, Row: -1, Column: 1, Err: ErrSyntax, Msg: "[ without ] in a context name"}
			}
			ctx = strings.TrimSpace(line[1:end])
			continue
		}
		key, val, ok := strings.Cut(line, "=")
		if !ok || strings.TrimSpace(key) != "exten" {
			continue // same =>, include =>, switch =>, settings: not rows
		}
		val = strings.TrimPrefix(val, ">")
		parts := strings.SplitN(strings.TrimSpace(val), ",", 3)
		if len(parts) < 3 {
			return nil, &ParseError{Path: path, Line: i + 1, Row: -1, Err: ErrSyntax, Msg: "exten => needs pattern,priority,application"}
		}
		if ctx == "" {
			return nil, &ParseError{Path: path, Line: i + 1, Row: -1, Err: ErrSyntax, Msg: "exten => outside any [context]"}
		}
		pat, prio := strings.TrimSpace(parts[0]), strings.TrimSpace(parts[1])
		if seen[ctx] == nil {
			seen[ctx] = map[string]bool{}
			names = append(names, ctx)
		}
		if seen[ctx][pat] || (prio != "1" && !strings.HasPrefix(prio, "1(")) {
			continue // later priorities of an extension already seen
		}
		seen[ctx][pat] = true
		app := strings.ToLower(strings.TrimSpace(parts[2]))
		if k := strings.IndexByte(app, '('); k >= 0 {
			app = app[:k]
		}
		blocked := app == "hangup" || app == "congestion" || app == "busy"
		byCtx[ctx] = append(byCtx[ctx], ext{pattern: pat, blocked: blocked, line: i + 1, order: len(byCtx[ctx])})
	}
	d := &Document{}
	for _, name := range names {
		exts := byCtx[name]
		slices.SortStableFunc(exts, func(a, b ext) int { return asteriskCmp(a.pattern, b.pattern) })
		td := TableDoc{Name: name, Dialect: DialectAsterisk}
		if d.lines == nil {
			d.lines = map[string][]int{}
		}
		for _, e := range exts {
			td.Rows = append(td.Rows, RowDoc{Pattern: e.pattern, Blocked: b(e.blocked)})
			d.lines[name] = append(d.lines[name], e.line)
		}
		d.Tables = append(d.Tables, td)
	}
	if len(d.Tables) == 0 {
		return nil, &ParseError{Path: path, Row: -1, Err: ErrUnknownFormat, Msg: "no [context] with exten => lines"}
	}
	return d, nil
}

// asteriskCmp orders extensions as Asterisk's ext_cmp does: exact
// extensions before patterns; patterns position by position, a smaller set
// before a bigger one (a literal is a set of one), equal sizes by lowest
// character, then . and ! and, last, the end of the pattern. '-' is
// ignored.
func asteriskCmp(a, b string) int {
	pa, pb := strings.HasPrefix(a, "_"), strings.HasPrefix(b, "_")
	if pa != pb {
		if pa {
			return 1
		}
		return -1
	}
	if !pa {
		return strings.Compare(strings.ReplaceAll(a, "-", ""), strings.ReplaceAll(b, "-", ""))
	}
	ka, kb := asteriskKeys(a[1:]), asteriskKeys(b[1:])
	for i := 0; ; i++ {
		switch {
		case i == len(ka) && i == len(kb):
			return 0
		case i == len(ka):
			return 1 // end of pattern sorts last
		case i == len(kb):
			return -1
		case ka[i] != kb[i]:
			if ka[i] < kb[i] {
				return -1
			}
			return 1
		}
	}
}

// asteriskKeys turns a pattern body into one rank per position:
// size<<8 | lowest character for sets, then . and ! above every set.
func asteriskKeys(p string) []int {
	var out []int
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case c == '-':
		case c == 'X' || c == 'x':
			out = append(out, 10<<8|'0')
		case c == 'Z' || c == 'z':
			out = append(out, 9<<8|'1')
		case c == 'N' || c == 'n':
			out = append(out, 8<<8|'2')
		case c == '.':
			out = append(out, 1<<20)
		case c == '!':
			out = append(out, 1<<20+1)
		case c == '[':
			j := strings.IndexByte(p[i:], ']')
			if j < 0 {
				out = append(out, 1<<8|int(c))
				continue
			}
			chars := map[byte]bool{}
			body := p[i+1 : i+j]
			for k := 0; k < len(body); k++ {
				if k+2 < len(body) && body[k+1] == '-' {
					for x := int(body[k]); x <= int(body[k+2]); x++ {
						chars[byte(x)] = true
					}
					k += 2
				} else {
					chars[body[k]] = true
				}
			}
			lo := 255
			for ch := range chars {
				lo = min(lo, int(ch))
			}
			if len(chars) > 0 {
				out = append(out, len(chars)<<8|lo)
			}
			i += j
		default:
			out = append(out, 1<<8|int(c))
		}
	}
	return out
}

// ImportExchange reads Exchange UM dialing rules, one per line, as the
// dial plan's ConfiguredInCountryOrRegionGroups and
// ConfiguredInternationalGroups hold them: "GroupName,NumberMask,
// DialedNumber,Comment", optionally quoted, several quoted rules on one
// line allowed. Rules sharing a group name form one exchange table (an
// allow-list), in order. Lines starting with # are comments.
func ImportExchange(path string, data []byte) (*Document, error) {
	d := &Document{}
	index := map[string]int{}
	for i, raw := range strings.Split(string(data), "\n") {
		line := strings.TrimSpace(raw)
		if line == "" || line[0] == '#' {
			continue
		}
		var rules []string
		if strings.HasPrefix(line, `"`) {
			for _, f := range strings.Split(line, `"`) {
				if f = strings.TrimSpace(f); f != "" && f != "," {
					rules = append(rules, f)
				}
			}
		} else {
			rules = []string{line}
		}
		for _, r := range rules {
			parts := strings.Split(r, ",")
			if len(parts) != 4 {
				return nil, &ParseError{Path: path, Line: i + 1, Row: -1, Err: ErrSyntax, Msg: "a dialing rule has 4 comma-separated parts (group, number mask, dialed number, comment), this one has " + strconv.Itoa(len(parts))}
			}
			group, mask := strings.TrimSpace(parts[0]), strings.TrimSpace(parts[1])
			if group == "" || len(group) > 32 {
				return nil, &ParseError{Path: path, Line: i + 1, Row: -1, Err: ErrSyntax, Msg: "a group name has 1 to 32 characters"}
			}
			k, ok := index[group]
			if !ok {
				k = len(d.Tables)
				index[group] = k
				d.Tables = append(d.Tables, TableDoc{Name: group, Dialect: DialectExchange})
			}
			d.Tables[k].Rows = append(d.Tables[k].Rows, RowDoc{Pattern: mask})
			if d.lines == nil {
				d.lines = map[string][]int{}
			}
			d.lines[group] = append(d.lines[group], i+1)
		}
	}
	if len(d.Tables) == 0 {
		return nil, &ParseError{Path: path, Row: -1, Err: ErrUnknownFormat, Msg: "no dialing rules found"}
	}
	return d, nil
}
