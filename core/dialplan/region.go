package dialplan

import (
	"slices"

	"github.com/tollgate/tollgate/core/destination"
	"github.com/tollgate/tollgate/internal/jsonx"
)

// Region is a tables document's "region": the country the site dials
// from. Its international prefixes (011, 00) and trunk prefix (1, 0) come
// from the destination data; the outside-line codes are the document's
// outside_line_codes, each also behind every trunk access code.
type Region struct {
	Country string `json:"country"`
}

// Tiers is a tables document's "tiers": overrides of the default risk
// tiers (core/destination). Types maps a number type name, Countries a
// region code (or 001 for the international networks), to low, medium or
// high; Default is the tier of a foreign country nothing else names.
type Tiers struct {
	Types     map[string]string `json:"types,omitempty"`
	Countries map[string]string `json:"countries,omitempty"`
	Default   string            `json:"default,omitempty"`
}

var (
	regionFields = []string{"country"}
	tiersFields  = []string{"types", "countries", "default"}
	tierNames    = "low, medium, high"
)

func readRegion(d *jsonx.Decoder) (*Region, error) {
	if d.Null() {
		return nil, nil
	}
	r := &Region{}
	return r, d.Object(func(key string) error {
		if key == "country" {
			return readString(d, &r.Country)
		}
		return unknownField(d, regionFields)
	})
}

func readTiers(d *jsonx.Decoder) (*Tiers, error) {
	if d.Null() {
		return nil, nil
	}
	t := &Tiers{}
	return t, d.Object(func(key string) error {
		var err error
		switch key {
		case "types":
			t.Types, err = readStringMap(d)
		case "countries":
			t.Countries, err = readStringMap(d)
		case "default":
			err = readString(d, &t.Default)
		default:
			err = unknownField(d, tiersFields)
		}
		return err
	})
}

func readStringMap(d *jsonx.Decoder) (map[string]string, error) {
	if d.Null() {
		return nil, nil
	}
	m := map[string]string{}
	return m, d.Object(func(key string) error {
		v, err := d.String()
		m[key] = v
		return err
	})
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// compileRegion checks each table's reach and, when the document
// declares a region, builds the destination classifier the tables share.
func (s *Set) compileRegion() error {
	fail := func(field string, err error, msg string) error {
		return &ParseError{Path: s.path, Row: -1, Field: field, Err: err, Msg: msg}
	}
	for i := range s.Doc.Tables {
		reach := destination.Medium
		if r := s.Doc.Tables[i].Reach; r != "" {
			var ok bool
			if reach, ok = destination.ParseTier(r); !ok {
				return &ParseError{Path: s.path, Table: s.tables[i].Name, Row: -1, Field: "reach", Err: ErrSyntax, Msg: quote(r) + " (want " + tierNames + ")"}
			}
		}
		s.tables[i].reach = reach
	}
	rg := s.Doc.Region
	if rg == nil {
		if s.Doc.Tiers != nil {
			return fail("tiers", ErrMissing, "tiers need a region: declare the country the site dials from, {\"region\": {\"country\": \"US\"}}")
		}
		return nil
	}
	tab := destination.Registered()
	if tab == nil {
		return fail("region", ErrUnsupported, "this build has no destination data: native programs import package data; a WebAssembly host must pass data/destinations.bin in")
	}
	if rg.Country == "" {
		return fail("region.country", ErrMissing, "the country the site dials from, as an ISO 3166 code such as US or GB")
	}
	if tab.CallingCode(rg.Country) == 0 {
		return fail("region.country", ErrRange, quote(rg.Country)+" is not a country of the destination data (an upper-case ISO 3166 code such as US or GB)")
	}
	o := destination.Options{Country: rg.Country}
	for _, a := range s.outside {
		o.Access = append(o.Access, a)
		for _, t := range s.trunk {
			o.Access = append(o.Access, t+a)
		}
	}
	if tr := s.Doc.Tiers; tr != nil {
		tier := func(field, v string) (destination.Tier, error) {
			t, ok := destination.ParseTier(v)
			if !ok {
				return 0, fail(field, ErrSyntax, quote(v)+" (want "+tierNames+")")
			}
			return t, nil
		}
		for _, k := range sortedKeys(tr.Types) {
			ty, ok := destination.ParseType(k)
			if !ok {
				return fail("tiers.types."+k, ErrSyntax, "unknown number type; known: "+joinNames(destination.TypeNames()))
			}
			t, err := tier("tiers.types."+k, tr.Types[k])
			if err != nil {
				return err
			}
			if o.Types == nil {
				o.Types = map[destination.Type]destination.Tier{}
			}
			o.Types[ty] = t
		}
		for _, k := range sortedKeys(tr.Countries) {
			if k != destination.NonGeographic && tab.CallingCode(k) == 0 {
				return fail("tiers.countries."+k, ErrRange, "not a country of the destination data (an upper-case ISO 3166 code such as GB, or 001 for the international networks)")
			}
			t, err := tier("tiers.countries."+k, tr.Countries[k])
			if err != nil {
				return err
			}
			if o.Countries == nil {
				o.Countries = map[string]destination.Tier{}
			}
			o.Countries[k] = t
		}
		if tr.Default != "" {
			t, err := tier("tiers.default", tr.Default)
			if err != nil {
				return err
			}
			o.Default = &t
		}
	}
	d, err := tab.Dialing(o)
	if err != nil {
		return fail("region", ErrRange, err.Error())
	}
	s.dest, s.destOpts = d, o
	for _, t := range s.tables {
		t.dest = d
	}
	return nil
}

func joinNames(names []string) string {
	out := ""
	for i, n := range names {
		if i > 0 {
			out += ", "
		}
		out += n
	}
	return out
}

// Dialing returns the set's destination classifier, nil when the document
// declares no region.
func (s *Set) Dialing() *destination.Dialing { return s.dest }

// Dialing returns the destination classifier of the table's set, nil when
// its document declares no region.
func (t *Table) Dialing() *destination.Dialing { return t.dest }

// Reach is the highest tier the table is meant to let through.
func (t *Table) Reach() destination.Tier { return t.reach }

// Destination classifies a dialed number (raw bytes, as Match takes them)
// with the table's region: its destination, tier and class id. ok is
// false without a region or for an invalid number.
func (t *Table) Destination(number string) (dest destination.Destination, tier destination.Tier, ok bool) {
	if t.dest == nil {
		return dest, tier, false
	}
	c, ok := t.dest.ClassifyString(number)
	if !ok {
		return dest, tier, false
	}
	return t.dest.Destination(c), t.dest.Tier(c), true
}
