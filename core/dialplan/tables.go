package dialplan

import (
	"errors"
	"strconv"
	"time"

	"github.com/tollgate/tollgate/core/destination"
)

// Document is the JSON tables file (docs/tables.md). It is decoded strictly:
// an unknown field is an error.
type Document struct {
	// TrunkAccessCodes are the access codes of additional phone-system
	// integrations: every blocked row P also blocks CODE+P, at P's place.
	TrunkAccessCodes []string `json:"trunk_access_codes,omitempty"`
	// OutsideLineCodes are the codes that reach an outside line (default
	// ["9"]); lint uses them, with the trunk codes, to probe for operator,
	// international and external numbers.
	OutsideLineCodes []string         `json:"outside_line_codes,omitempty"`
	Tables           []TableDoc       `json:"tables"`
	ClassesOfService []ClassOfService `json:"classes_of_service,omitempty"`
	// Region declares the country the site dials from; with it, dial
	// results carry the destination and lint checks where tables let
	// numbers go (region.go). Tiers override the default risk tiers.
	Region *Region `json:"region,omitempty"`
	Tiers  *Tiers  `json:"tiers,omitempty"`

	// lines[t][r] is the source line of row r of table t, for importers of
	// text formats, so compile errors can name the line.
	lines map[string][]int
}

// TableDoc is one restriction table as written in a tables file.
type TableDoc struct {
	Name    string `json:"name"`
	Dialect string `json:"dialect,omitempty"` // default "cuc"
	// MinDigits and MaxDigits bound the number of keys of a normalized
	// number (1..300, Unity Connection's range); a number outside them is
	// refused before any row is tried. Defaults 1 and 40.
	MinDigits int `json:"min_digits,omitempty"`
	MaxDigits int `json:"max_digits,omitempty"`
	// Order is "first" (first matching row wins) or "closest" (Unified CM's
	// closest match: the matching row that matches the fewest numbers of
	// the dialed length). Only cucm tables may ask for "closest", and it is
	// their default.
	Order string `json:"order,omitempty"`
	// NoMatch is the verdict when no row matches: "blocked" (default) or
	// "allowed". cuc tables end with * and never miss; exchange tables are
	// allow-lists and always block what no rule allows.
	NoMatch string   `json:"no_match,omitempty"`
	Rows    []RowDoc `json:"rows"`
	// Reach is the highest risk tier the table is meant to let through
	// (low, medium, high; default medium). Lint flags a table that allows
	// a destination above it.
	Reach string `json:"reach,omitempty"`
}

// RowDoc is one row. Blocked defaults to true, as in Unity Connection's
// REST API, so that a forgotten flag fails closed.
type RowDoc struct {
	Pattern string `json:"pattern"`
	Blocked *bool  `json:"blocked,omitempty"`
	// Dialect overrides the table's dialect for this row; only "regex" is
	// accepted, to put a regular expression at its place in a table.
	Dialect string `json:"dialect,omitempty"`
}

// ClassOfService links tables to the features a user may configure.
type ClassOfService struct {
	Name           string `json:"name"`
	Transfer       string `json:"transfer,omitempty"`
	Outdial        string `json:"outdial,omitempty"` // message notification
	Fax            string `json:"fax,omitempty"`
	SystemTransfer string `json:"system_transfer,omitempty"`
}

// features are the features of a class of service (an array: fixed).
var features = [...]string{"transfer", "outdial", "fax", "system_transfer"}

// Features returns the features of a class of service, in a new slice.
func Features() []string { return append([]string(nil), features[:]...) }

// Table returns the name of the table c links to feature f, and whether f
// is a known feature.
func (c *ClassOfService) Table(f string) (string, bool) {
	switch f {
	case "transfer":
		return c.Transfer, true
	case "outdial", "notification":
		return c.Outdial, true
	case "fax":
		return c.Fax, true
	case "system_transfer":
		return c.SystemTransfer, true
	}
	return "", false
}

// Limits of a table.
const (
	MinDigitsLimit = 1
	MaxDigitsLimit = 300
	// RegexTimeout bounds one regular-expression match.
	RegexTimeout = 50 * time.Millisecond
	// RegexClockPeriod is the tick of regexp2's timeout clock, which every
	// regexp2 engine of the program sets (regexp2.SetTimeoutCheckPeriod):
	// a match gives up between RegexTimeout and RegexTimeout plus two
	// ticks. regexp2's default tick, 100 ms, made a 50 ms timeout cost
	// 200 ms per number; at 2 ms it costs about 52 ms
	// (BenchmarkRegexTimeout, docs/performance.md). The clock goroutine
	// ticks only while matches with a timeout run, and for a second after.
	RegexClockPeriod = 2 * time.Millisecond
	// MaxRows bounds the rows of one document, all tables together, and
	// MaxDocumentBytes its JSON text: with MaxAutomatonBytes they keep
	// what one load costs within what a WebAssembly instance holds
	// (docs/tables.md, "Limits"). Real tables have tens of rows; a large
	// Unified CM dial plan some thousands of route patterns.
	MaxRows          = 100_000
	MaxDocumentBytes = 8 << 20
)

// digitsRange is "1..300", for messages.
var digitsRange = strconv.Itoa(MinDigitsLimit) + ".." + strconv.Itoa(MaxDigitsLimit)

// Set is a compiled tables document: tables ready to match, and classes of
// service. A Set is immutable and safe for concurrent use: it shares no
// memory with the Document it was compiled from, it has no exported
// fields, and what its methods return is a copy or an immutable *Table.
type Set struct {
	tables  []*Table
	byName  map[string]*Table
	classes []ClassOfService
	cos     map[string]*ClassOfService // into classes
	outside []string
	trunk   []string
	path    string
	size    int64
	dest    destState // nil without a region
}

// Size is what the set's automata took to build, in bytes, as
// MaxAutomatonBytes counts it: an upper bound on what the set holds, for a
// caller that caches sets.
func (s *Set) Size() int64 { return s.size }

// Tables returns the tables in document order, in a new slice.
func (s *Set) Tables() []*Table { return append([]*Table(nil), s.tables...) }

// NumTables is the number of tables.
func (s *Set) NumTables() int { return len(s.tables) }

// TableAt returns table i in document order (Table.Index), or false when
// i is out of range: the dial path's lookup, which allocates nothing.
func (s *Set) TableAt(i int) (*Table, bool) {
	if i < 0 || i >= len(s.tables) {
		return nil, false
	}
	return s.tables[i], true
}

// Table returns the named table.
func (s *Set) Table(name string) (*Table, bool) {
	t, ok := s.byName[name]
	return t, ok
}

// DefaultTable is the table used when none is named: "Default Transfer"
// when the set has it, else its first table.
func (s *Set) DefaultTable() *Table {
	if t, ok := s.byName["Default Transfer"]; ok {
		return t
	}
	return s.tables[0]
}

// ForFeature returns the table class of service cos links to feature.
func (s *Set) ForFeature(cos, feature string) (*Table, error) {
	c, ok := s.cos[cos]
	if !ok {
		return nil, errors.New("dialplan: no class of service " + quote(cos))
	}
	name, ok := c.Table(feature)
	if !ok {
		return nil, errors.New("dialplan: unknown feature " + quote(feature) + " (transfer, outdial, fax, system_transfer)")
	}
	if name == "" {
		return nil, errors.New("dialplan: class of service " + quote(cos) + " links no table to " + feature)
	}
	return s.byName[name], nil
}

// ClassesOfService returns the classes of service in document order, in a
// new slice.
func (s *Set) ClassesOfService() []ClassOfService {
	return append([]ClassOfService(nil), s.classes...)
}

// TrunkAccessCodes returns the set's trunk access codes, in a new slice.
func (s *Set) TrunkAccessCodes() []string { return append([]string(nil), s.trunk...) }

// OutsideLineCodes returns the codes that reach an outside line, in a new
// slice.
func (s *Set) OutsideLineCodes() []string { return append([]string(nil), s.outside...) }

// Options are a caller's settings for one Parse, Compile or Lint.
type Options struct {
	// Interrupt, when set, is called now and then while automata are
	// built (about every millisecond of work); when it returns true the
	// work stops and the call returns ErrInterrupted. The package reads no
	// clock: a caller with a deadline passes a function that checks it.
	Interrupt func() bool
	// Regex compiles the rows of the regex dialect; nil is the build's
	// default (compileRegex).
	Regex RegexCompiler
	// Destinations is the destination data a document that declares a
	// region classifies with (the "destinations" data artifact); without
	// it such a document fails with ErrNoData.
	Destinations *destination.Table
}

// Parse decodes and compiles a JSON tables document. path, when not empty,
// is put in errors.
func Parse(path string, data []byte) (*Set, error) {
	return ParseOptions(path, data, Options{})
}

// ParseOptions is Parse with options.
func ParseOptions(path string, data []byte, o Options) (*Set, error) {
	d, err := decodeDocument(path, data)
	if err != nil {
		return nil, err
	}
	return CompileOptions(path, d, o)
}

// Compile validates d and compiles every table. d is only read: the Set
// keeps copies of what it needs, and a later change to d does not reach
// it. The automata of all the tables may take at most MaxAutomatonBytes
// to build; beyond that the table being compiled fails with ErrTooComplex.
func Compile(path string, d *Document) (*Set, error) {
	return CompileOptions(path, d, Options{})
}

// CompileOptions is Compile with options. An interrupted compilation
// returns ErrInterrupted itself, not a *ParseError.
func CompileOptions(path string, d *Document, o Options) (*Set, error) {
	b := newBudget(o.Interrupt)
	s := &Set{byName: map[string]*Table{}, cos: map[string]*ClassOfService{}, path: path}
	fail := func(table string, row int, field string, err error, msg string) error {
		return &ParseError{Path: path, Table: table, Row: row, Field: field, Err: err, Msg: msg}
	}
	codeOK := func(c string) bool {
		if c == "" || len(c) > 16 {
			return false
		}
		for i := 0; i < len(c); i++ {
			if _, ok := symOf(c[i]); !ok {
				return false
			}
		}
		return true
	}
	for i, c := range d.TrunkAccessCodes {
		if !codeOK(c) {
			return nil, fail("", -1, "trunk_access_codes["+strconv.Itoa(i)+"]", ErrSyntax, quote(c)+": a trunk access code is 1 to 16 keys (digits * # +)")
		}
	}
	s.trunk = append([]string(nil), d.TrunkAccessCodes...)
	s.outside = append([]string(nil), d.OutsideLineCodes...)
	if d.OutsideLineCodes == nil {
		s.outside = []string{"9"}
	}
	for i, c := range s.outside {
		if !codeOK(c) {
			return nil, fail("", -1, "outside_line_codes["+strconv.Itoa(i)+"]", ErrSyntax, quote(c)+": an outside-line code is 1 to 16 keys")
		}
	}
	if len(d.Tables) == 0 {
		return nil, fail("", -1, "tables", ErrMissing, "a tables document needs at least one table")
	}
	rows := 0
	for _, td := range d.Tables {
		rows += len(td.Rows)
	}
	if rows > MaxRows {
		return nil, fail("", -1, "tables", ErrRange, "the document has "+strconv.Itoa(rows)+" rows; at most "+strconv.Itoa(MaxRows)+" in one document (split it)")
	}
	for i := range d.Tables {
		td := d.Tables[i] // compileTable fills defaults in this copy
		if td.Name == "" {
			return nil, fail("", -1, "tables["+strconv.Itoa(i)+"].name", ErrMissing, "every table needs a name")
		}
		if _, dup := s.byName[td.Name]; dup {
			return nil, fail(td.Name, -1, "name", ErrDuplicate, "two tables are named "+quote(td.Name))
		}
		t, err := o.compileTable(path, &td, s.trunk, b)
		if err != nil {
			if pe, ok := err.(*ParseError); ok && pe.Row >= 0 && pe.Row < len(d.lines[td.Name]) {
				pe.Line = d.lines[td.Name][pe.Row]
			}
			return nil, err
		}
		t.index = i
		s.tables = append(s.tables, t)
		s.byName[td.Name] = t
	}
	s.classes = append([]ClassOfService(nil), d.ClassesOfService...)
	for i := range s.classes {
		c := &s.classes[i]
		field := "classes_of_service[" + strconv.Itoa(i) + "]"
		if c.Name == "" {
			return nil, fail("", -1, field+".name", ErrMissing, "every class of service needs a name")
		}
		if _, dup := s.cos[c.Name]; dup {
			return nil, fail("", -1, field+".name", ErrDuplicate, "two classes of service are named "+quote(c.Name))
		}
		for _, f := range features {
			name, _ := c.Table(f)
			if name == "" {
				continue
			}
			if _, ok := s.byName[name]; !ok {
				return nil, fail("", -1, field+"."+f, ErrUnknownTable, "class of service "+quote(c.Name)+" links "+f+" to "+quote(name)+", which is not a table here")
			}
		}
		s.cos[c.Name] = c
	}
	if err := s.compileRegion(d, o); err != nil {
		return nil, err
	}
	s.size = b.spent
	return s, nil
}

// Row is one compiled row (a copy: Table.Row).
type Row struct {
	Pattern string
	Blocked bool
	Regex   bool // the row is a regular expression (the regex dialect)
}

// Table is one compiled restriction table. It is immutable and safe for
// concurrent use: its settings are read through methods, so no holder of
// a *Table can change what every other holder matches with.
type Table struct {
	name           string
	dialect        string
	minDigits      int
	maxDigits      int
	closest        bool // cucm closest match instead of row order
	noMatchBlocked bool
	rows           []Row

	index int
	units []unit // every (row, twin) alternative, in priority order
	segs  []segment
	trunk []string
	// counts[u*(MaxDigits+1)+n] is how many numbers of n keys unit u
	// matches; only for closest-match tables.
	counts []float64
	reach  uint8     // a tier: 0 low, 1 medium, 2 high
	dest   destState // the set's, nil without a region
}

// unit is one alternative of a row: the row's own pattern (alt 0) or its
// twin behind trunk access code alt-1.
type unit struct {
	row   int32
	alt   int32
	elems []elem
}

// segment is a run of automaton rows or one regex row.
type segment struct {
	dfa *dfa
	re  Regex
	row int32
}

func (o *Options) compileTable(path string, td *TableDoc, trunk []string, b *budget) (*Table, error) {
	fail := func(row, col int, field string, err error, msg string) error {
		return &ParseError{Path: path, Table: td.Name, Row: row, Column: col, Field: field, Err: err, Msg: msg}
	}
	if td.Dialect == "" {
		td.Dialect = DialectCUC
	}
	known := false
	for _, d := range dialects {
		known = known || d == td.Dialect
	}
	if !known {
		return nil, fail(-1, 0, "dialect", ErrDialect, quote(td.Dialect)+" (want one of cuc, cucm, asterisk, exchange, regex)")
	}
	if td.MinDigits == 0 {
		td.MinDigits = 1
	}
	if td.MaxDigits == 0 {
		td.MaxDigits = 40
	}
	if td.MinDigits < MinDigitsLimit || td.MinDigits > MaxDigitsLimit {
		return nil, fail(-1, 0, "min_digits", ErrRange, strconv.Itoa(td.MinDigits)+" is outside "+digitsRange)
	}
	if td.MaxDigits < MinDigitsLimit || td.MaxDigits > MaxDigitsLimit {
		return nil, fail(-1, 0, "max_digits", ErrRange, strconv.Itoa(td.MaxDigits)+" is outside "+digitsRange)
	}
	if td.MinDigits > td.MaxDigits {
		return nil, fail(-1, 0, "min_digits", ErrRange, "min_digits "+strconv.Itoa(td.MinDigits)+" is above max_digits "+strconv.Itoa(td.MaxDigits))
	}
	switch td.Order {
	case "":
		td.Order = "first"
		if td.Dialect == DialectCUCM {
			td.Order = "closest"
		}
	case "first":
	case "closest":
		if td.Dialect != DialectCUCM {
			return nil, fail(-1, 0, "order", ErrUnsupported, "closest match is Unified CM's rule; only cucm tables may use it")
		}
	default:
		return nil, fail(-1, 0, "order", ErrSyntax, quote(td.Order)+" (want first or closest)")
	}
	switch td.NoMatch {
	case "", "blocked":
		td.NoMatch = "blocked"
	case "allowed":
		if td.Dialect == DialectExchange {
			return nil, fail(-1, 0, "no_match", ErrUnsupported, "an exchange table is an allow-list: what no rule allows is blocked")
		}
	default:
		return nil, fail(-1, 0, "no_match", ErrSyntax, quote(td.NoMatch)+" (want blocked or allowed)")
	}
	if len(td.Rows) == 0 {
		return nil, fail(-1, 0, "rows", ErrMissing, "a table needs at least one row")
	}
	t := &Table{
		name: td.Name, dialect: td.Dialect, minDigits: td.MinDigits, maxDigits: td.MaxDigits,
		closest: td.Order == "closest", noMatchBlocked: td.NoMatch == "blocked", trunk: trunk,
	}
	run := -1
	flush := func(end int) error {
		if run < 0 {
			return nil
		}
		d, err := buildDFA(t.units[run:end], t.closest, maxStates, b)
		if err == ErrInterrupted {
			return err
		}
		if err != nil {
			return fail(-1, 0, "rows", ErrTooComplex, err.Error())
		}
		d.unitBase = int32(run)
		t.segs = append(t.segs, segment{dfa: d, row: -1})
		run = -1
		return nil
	}
	for i, rd := range td.Rows {
		field := "rows[" + strconv.Itoa(i) + "]"
		blocked := rd.Blocked == nil || *rd.Blocked
		row := Row{Pattern: rd.Pattern, Blocked: blocked}
		if td.Dialect == DialectExchange && blocked {
			if rd.Blocked == nil {
				blocked, row.Blocked = false, false // an allow-list entry
			} else {
				return nil, fail(i, 0, field+".blocked", ErrUnsupported, "exchange rules are allow-list entries; leave blocked out or false")
			}
		}
		switch rd.Dialect {
		case "":
		case DialectRegex:
			row.Regex = true
		default:
			return nil, fail(i, 0, field+".dialect", ErrUnsupported, "a row may only switch to regex, not "+quote(rd.Dialect))
		}
		if td.Dialect == DialectRegex {
			row.Regex = true
		}
		if row.Regex {
			if t.closest {
				return nil, fail(i, 0, field+".dialect", ErrUnsupported, "a closest-match table cannot hold regex rows")
			}
			if err := flush(len(t.units)); err != nil {
				return nil, err
			}
			re, err := o.compileRegex(rd.Pattern)
			if err == errNoRegexEngine {
				return nil, fail(i, 0, field+".dialect", ErrUnsupported, err.Error())
			}
			if err != nil {
				return nil, fail(i, 0, field+".pattern", ErrSyntax, err.Error())
			}
			t.segs = append(t.segs, segment{re: re, row: int32(i)})
			t.rows = append(t.rows, row)
			continue
		}
		es, pe := parsePattern(td.Dialect, rd.Pattern)
		if pe != nil {
			return nil, fail(i, pe.col, field+".pattern", pe.err, pe.msg)
		}
		if run < 0 {
			run = len(t.units)
		}
		t.units = append(t.units, unit{row: int32(i), elems: es})
		if blocked {
			for k, code := range trunk {
				tw := make([]elem, 0, len(code)+len(es))
				for j := 0; j < len(code); j++ {
					tw = append(tw, lit(code[j]))
				}
				t.units = append(t.units, unit{row: int32(i), alt: int32(k + 1), elems: append(tw, es...)})
			}
		}
		t.rows = append(t.rows, row)
	}
	if td.Dialect == DialectCUC {
		last := td.Rows[len(td.Rows)-1]
		if last.Pattern != "*" || last.Dialect != "" {
			return nil, fail(len(td.Rows)-1, 0, "rows", ErrLastRow, "Unity Connection tables end with the row * (only its blocked flag changes); add {\"pattern\": \"*\", \"blocked\": true}")
		}
	}
	if err := flush(len(t.units)); err != nil {
		return nil, err
	}
	if t.closest {
		var err error
		if t.counts, err = closestCounts(t.units, t.maxDigits, b); err == ErrInterrupted {
			return nil, err
		} else if err != nil {
			return nil, fail(-1, 0, "rows", ErrTooComplex, err.Error())
		}
	}
	return t, nil
}

// Name is the table's name.
func (t *Table) Name() string { return t.name }

// Dialect is the table's dialect (DialectCUC, ...).
func (t *Table) Dialect() string { return t.dialect }

// MinDigits and MaxDigits bound the keys of a normalized number; a number
// outside them is refused before any row is tried.
func (t *Table) MinDigits() int { return t.minDigits }

// MaxDigits: see MinDigits.
func (t *Table) MaxDigits() int { return t.maxDigits }

// Closest reports Unified CM's closest match (the matching row that
// matches the fewest numbers of the dialed length) instead of row order.
func (t *Table) Closest() bool { return t.closest }

// NoMatchBlocked is the verdict when no row matches.
func (t *Table) NoMatchBlocked() bool { return t.noMatchBlocked }

// NumRows is the number of rows.
func (t *Table) NumRows() int { return len(t.rows) }

// Row returns row i (0 <= i < NumRows), a copy.
func (t *Table) Row(i int) Row { return t.rows[i] }

// Index is the table's position in its set, in document order
// (Set.TableAt).
func (t *Table) Index() int { return t.index }

// Pattern returns the pattern that decided r: the row's pattern, or for a
// trunk-code twin the code followed by it; "" when no row decided.
func (t *Table) Pattern(r Result) string {
	if r.Row < 0 || int(r.Row) >= len(t.rows) {
		return ""
	}
	p := t.rows[r.Row].Pattern
	if r.Alt > 0 && int(r.Alt) <= len(t.trunk) {
		return t.trunk[r.Alt-1] + p
	}
	return p
}
