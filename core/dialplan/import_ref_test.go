package dialplan

// The CUPI importer as it was before jsonx (encoding/json with custom
// unmarshalers), kept as the oracle of FuzzImportCUPI.

import (
	"bytes"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/tollgate/tollgate/internal/jsonx"
)

// refCupiValue accepts CUPI's scalars, which the REST API writes as strings
// ("40", "true") and some tools as numbers or booleans.
type refCupiValue string

func (v *refCupiValue) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*v = refCupiValue(s)
		return nil
	}
	*v = refCupiValue(strings.TrimSpace(string(b)))
	return nil
}

// refCupiList accepts CUPI's list quirk: one element comes as an object, more
// as an array.
type refCupiList[T any] []T

func (l *refCupiList[T]) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '{' {
		var one T
		if err := json.Unmarshal(b, &one); err != nil {
			return err
		}
		*l = refCupiList[T]{one}
		return nil
	}
	var many []T
	err := json.Unmarshal(b, &many)
	*l = many
	return err
}

type refCupiPattern struct {
	NumberPattern  string       `json:"NumberPattern"`
	Blocked        refCupiValue `json:"Blocked"`
	SequenceNumber refCupiValue `json:"SequenceNumber"`
}

type refCupiPatterns struct {
	RestrictionPattern refCupiList[refCupiPattern] `json:"RestrictionPattern"`
}

type refCupiTable struct {
	DisplayName         string          `json:"DisplayName"`
	MinDigits           refCupiValue    `json:"MinDigits"`
	MaxDigits           refCupiValue    `json:"MaxDigits"`
	RestrictionPatterns refCupiPatterns `json:"RestrictionPatterns"`
	// RestrictionPattern holds the patterns when the export put the
	// /restrictionpatterns answer's list directly in the table object.
	RestrictionPattern refCupiList[refCupiPattern] `json:"RestrictionPattern"`
}

func refImportCUPI(path string, data []byte) (*Document, error) {
	var top struct {
		RestrictionTables struct {
			RestrictionTable refCupiList[refCupiTable] `json:"RestrictionTable"`
		} `json:"RestrictionTables"`
		RestrictionTable *refCupiTable `json:"RestrictionTable"`
		refCupiTable
	}
	if err := json.Unmarshal(data, &top); err != nil {
		return nil, err
	}
	tables := []refCupiTable(top.RestrictionTables.RestrictionTable)
	if top.RestrictionTable != nil {
		tables = append(tables, *top.RestrictionTable)
	}
	if top.DisplayName != "" {
		tables = append(tables, top.refCupiTable)
	}
	if len(tables) == 0 {
		return nil, &ParseError{Path: path, Row: -1, Err: ErrUnknownFormat, Msg: "no RestrictionTable with a DisplayName found"}
	}
	d := &Document{}
	for _, ct := range tables {
		td := TableDoc{Name: ct.DisplayName, Dialect: DialectCUC}
		for field, v := range map[string]refCupiValue{"MinDigits": ct.MinDigits, "MaxDigits": ct.MaxDigits} {
			if v == "" {
				continue
			}
			n, err := strconv.Atoi(string(v))
			if err != nil {
				return nil, &ParseError{Path: path, Table: ct.DisplayName, Row: -1, Field: field, Err: ErrSyntax, Msg: strconv.Quote(string(v)) + " is not a number"}
			}
			if field == "MinDigits" {
				td.MinDigits = n
			} else {
				td.MaxDigits = n
			}
		}
		pats := append([]refCupiPattern(ct.RestrictionPatterns.RestrictionPattern), ct.RestrictionPattern...)
		seq := func(p refCupiPattern) int {
			n, err := strconv.Atoi(string(p.SequenceNumber))
			if err != nil {
				return 1 << 30
			}
			return n
		}
		slices.SortStableFunc(pats, func(a, b refCupiPattern) int { return seq(a) - seq(b) })
		for i, p := range pats {
			blocked := true
			switch strings.ToLower(string(p.Blocked)) {
			case "", "true", "1":
			case "false", "0":
				blocked = false
			default:
				return nil, &ParseError{Path: path, Table: ct.DisplayName, Row: i, Field: "Blocked", Err: ErrSyntax, Msg: strconv.Quote(string(p.Blocked)) + " is not true or false"}
			}
			td.Rows = append(td.Rows, RowDoc{Pattern: p.NumberPattern, Blocked: b(blocked)})
		}
		d.Tables = append(d.Tables, td)
	}
	return d, nil
}

// FuzzImportCUPI: the jsonx importer gives the document the old one gave
// and refuses what it refused. It differs where jsonx is stricter (a key
// given twice, data after the document, nesting beyond jsonx.MaxDepth),
// where keys differ in case only (encoding/json matched "displayname"),
// and it also takes a list under a top-level "RestrictionTable".
func FuzzImportCUPI(f *testing.F) {
	for _, s := range []string{`{"DisplayName": "T", "MinDigits": 3, "RestrictionPattern": {"NumberPattern": "*", "Blocked": false}}`,
		`{"RestrictionTables": {"@total": "2", "RestrictionTable": [{"DisplayName": "A", "MaxDigits": "20", "RestrictionPatterns": {"RestrictionPattern": [{"NumberPattern": "9*", "SequenceNumber": "1"}, {"NumberPattern": "*", "SequenceNumber": "0", "Blocked": "0"}]}}, null]}}`,
		`{"RestrictionTable": {"DisplayName": "X", "MinDigits": "a"}}`, `{"DisplayName": "X", "RestrictionPattern": [{"NumberPattern": "*", "Blocked": "maybe"}]}`,
		`{"DisplayName": "X", "MinDigits": null, "RestrictionPatterns": null, "RestrictionPattern": [null]}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if cupiKeyCaseVariant(data) {
			t.Skip("a key differs from CUPI's in case only")
		}
		got, err := ImportCUPI("", data)
		want, oerr := refImportCUPI("", data)
		switch {
		case err == nil && oerr == nil:
			if !slices.EqualFunc(got.Tables, want.Tables, func(a, b TableDoc) bool {
				return a.Name == b.Name && a.MinDigits == b.MinDigits && a.MaxDigits == b.MaxDigits && slices.EqualFunc(a.Rows, b.Rows, func(x, y RowDoc) bool {
					return x.Pattern == y.Pattern && *x.Blocked == *y.Blocked
				})
			}) {
				t.Fatalf("ImportCUPI(%q) = %+v; the old importer gave %+v", data, got, want)
			}
		case err == nil:
			var te *json.UnmarshalTypeError
			if !errors.As(oerr, &te) || te.Field != "RestrictionTable" {
				t.Fatalf("ImportCUPI(%q) accepts what the old importer refused: %v", data, oerr)
			}
		case oerr == nil:
			var pe *ParseError
			stricter := errors.As(err, &pe) && (strings.Contains(pe.Msg, "appears more than once") ||
				strings.Contains(pe.Msg, "after top-level value") || strings.Contains(pe.Msg, "exceeded max depth"))
			if !stricter {
				t.Fatalf("ImportCUPI(%q) refuses what the old importer accepted: %v", data, err)
			}
		default: // both refuse: for the same reason, unless jsonx refused first
			var ope *ParseError
			if errors.As(oerr, &ope) && !errors.Is(err, ope.Err) && !errors.Is(err, ErrDecode) {
				t.Fatalf("ImportCUPI(%q): %v; the old importer: %v", data, err, oerr)
			}
		}
	})
}

// cupiKeyCaseVariant reports whether data has a key that matches one of
// the CUPI names the importer reads in another case only.
func cupiKeyCaseVariant(data []byte) bool {
	names := []string{"RestrictionTables", "RestrictionTable", "DisplayName", "MinDigits", "MaxDigits", "RestrictionPatterns",
		"RestrictionPattern", "NumberPattern", "Blocked", "SequenceNumber"}
	found := false
	d := jsonx.NewDecoder(data)
	var walk func() error
	walk = func() error {
		switch d.Kind() {
		case jsonx.Object:
			return d.Object(func(key string) error {
				for _, n := range names {
					if key != n && strings.EqualFold(key, n) {
						found = true
					}
				}
				return walk()
			})
		case jsonx.Array:
			return d.Array(func(int) error { return walk() })
		}
		return d.Skip()
	}
	_ = walk()
	return found
}
