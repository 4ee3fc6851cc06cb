package dialplan

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

const tierNames = "low, medium, high"

// compileRegion checks each table's reach and, when the document
// declares a region, builds the destination classifier the tables share.
func (s *Set) compileRegion(d *Document, o Options) error {
	fail := func(field string, err error, msg string) error {
		return &ParseError{Path: s.path, Row: -1, Field: field, Err: err, Msg: msg}
	}
	for i := range d.Tables {
		reach := uint8(1) // medium
		if r := d.Tables[i].Reach; r != "" {
			var ok bool
			if reach, ok = parseTier(r); !ok {
				return &ParseError{Path: s.path, Table: s.tables[i].name, Row: -1, Field: "reach", Err: ErrSyntax, Msg: quote(r) + " (want " + tierNames + ")"}
			}
		}
		s.tables[i].reach = reach
	}
	if d.Region == nil {
		if d.Tiers != nil {
			return fail("tiers", ErrMissing, "tiers need a region: declare the country the site dials from, {\"region\": {\"country\": \"US\"}}")
		}
		return nil
	}
	return s.compileDest(d, o, fail)
}

// Destination is where a dialed number goes, as results and findings
// show it: country (ISO code, 001 for the international networks, ""
// when unknown or internal), region (the calling code, "+1"; "" when
// unknown or internal), type and tier names (core/destination).
type Destination struct {
	Country, Region, Type, Tier string
}

// parseTier reads a tier name: 0 low, 1 medium, 2 high.
func parseTier(s string) (uint8, bool) {
	for i, n := range [...]string{"low", "medium", "high"} {
		if n == s {
			return uint8(i), true
		}
	}
	return 0, false
}
