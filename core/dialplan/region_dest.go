package dialplan

import (
	"slices"

	"github.com/tollgate/tollgate/core/destination"
	"github.com/tollgate/tollgate/internal/jsonx"
)

// destSet is the destination classifier of a set, and the options that
// built it (lint derives its national-only twin from them).
type destSet struct {
	d    *destination.Dialing
	opts destination.Options
}

type destState = *destSet

// compileDest builds the destination classifier of a document that
// declares a region, with the caller's destination data.
func (s *Set) compileDest(doc *Document, o Options, fail func(field string, err error, msg string) error) error {
	rg := doc.Region
	tab := o.Destinations
	if tab == nil {
		return fail("region", ErrNoData, "the region needs the \"destinations\" data artifact (wasm/destinations.tgd), which this engine has not loaded; see docs/abi.md, Data artifacts")
	}
	if rg.Country == "" {
		return fail("region.country", ErrMissing, "the country the site dials from, as an ISO 3166 code such as US or GB")
	}
	if tab.CallingCode(rg.Country) == 0 {
		return fail("region.country", ErrRange, quote(rg.Country)+" is not a country of the destination data (an upper-case ISO 3166 code such as US or GB)")
	}
	do := destination.Options{Country: rg.Country}
	for _, a := range s.outside {
		do.Access = append(do.Access, a)
		for _, t := range s.trunk {
			do.Access = append(do.Access, t+a)
		}
	}
	if tr := doc.Tiers; tr != nil {
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
			if do.Types == nil {
				do.Types = map[destination.Type]destination.Tier{}
			}
			do.Types[ty] = t
		}
		for _, k := range sortedKeys(tr.Countries) {
			if k != destination.NonGeographic && tab.CallingCode(k) == 0 {
				return fail("tiers.countries."+k, ErrRange, "not a country of the destination data (an upper-case ISO 3166 code such as GB, or 001 for the international networks)")
			}
			t, err := tier("tiers.countries."+k, tr.Countries[k])
			if err != nil {
				return err
			}
			if do.Countries == nil {
				do.Countries = map[string]destination.Tier{}
			}
			do.Countries[k] = t
		}
		if tr.Default != "" {
			t, err := tier("tiers.default", tr.Default)
			if err != nil {
				return err
			}
			do.Default = &t
		}
	}
	d, err := tab.Dialing(do)
	if err != nil {
		return fail("region", ErrRange, err.Error())
	}
	s.dest = &destSet{d: d, opts: do}
	for _, t := range s.tables {
		t.dest = s.dest
	}
	return nil
}

// Dialing returns the set's destination classifier, nil when the
// document declares no region.
func (s *Set) Dialing() *destination.Dialing {
	if s.dest == nil {
		return nil
	}
	return s.dest.d
}

// Dialing returns the destination classifier of the table's set, nil when
// its document declares no region.
func (t *Table) Dialing() *destination.Dialing {
	if t.dest == nil {
		return nil
	}
	return t.dest.d
}

// Reach is the highest tier the table is meant to let through.
func (t *Table) Reach() destination.Tier { return destination.Tier(t.reach) }

// Destination classifies a dialed number (raw bytes, as Match takes them)
// with the table's region. ok is false without a region or for an
// invalid number.
func (t *Table) Destination(number string) (Destination, bool) {
	if t.dest == nil {
		return Destination{}, false
	}
	c, ok := t.dest.d.ClassifyString(number)
	if !ok {
		return Destination{}, false
	}
	return destinationOf(t.dest.d, c), true
}

// destinationOf renders class c for results and findings.
func destinationOf(d *destination.Dialing, c int32) Destination {
	dest := d.Destination(c)
	out := Destination{Country: dest.Country, Type: dest.Type.String(), Tier: d.Tier(c).String()}
	if dest.CallingCode > 0 {
		out.Region = d.CallingCodeName(dest.CallingCode)
	}
	return out
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
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

var (
	regionFields = []string{"country"}
	tiersFields  = []string{"types", "countries", "default"}
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
