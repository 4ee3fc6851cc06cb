package destination

import (
	"slices"
)

// DefaultTypeTier is the default tier of number type ty (docs/tables.md
// gives the source of each choice). Unknown is Low: a number libphonenumber
// cannot type (a seven-digit local number, say) takes its country's tier.
func DefaultTypeTier(ty Type) Tier {
	if ty >= numTypes {
		return Low
	}
	return defaultTypeTier[ty]
}

var defaultTypeTier = [numTypes]Tier{
	Unknown:              Low,
	FixedLine:            Low,
	Mobile:               Low,
	FixedOrMobile:        Low,
	TollFree:             Low,
	PremiumRate:          High,
	SharedCost:           High,
	VoIP:                 Medium,
	Personal:             High,
	Pager:                Medium,
	UAN:                  Medium,
	Voicemail:            Medium,
	Satellite:            High,
	InternationalNetwork: High,
	Internal:             Low,
}

// NANPDomestic returns the regions of the North American plan (+1) that
// are not foreign countries to each other: the United States, its
// territories (Puerto Rico, US Virgin Islands, Guam, Northern Mariana
// Islands, American Samoa) and Canada. Every other +1 region is another
// country, dialed like domestic long distance and charged as
// international: those are high by default (DefaultHighCountries).
func NANPDomestic() []string { return slices.Clone(nanpDomestic) }

var nanpDomestic = []string{"US", "PR", "VI", "GU", "MP", "AS", "CA"}

// irsfHigh are countries outside +1 that public IRSF reporting names as
// the habitual top destinations (docs/tables.md).
var irsfHigh = []string{"CU", "LT", "LV", "SO"}

// DefaultHighCountries lists the countries that are high by default: the
// +1 regions outside NANPDomestic, taken from t's metadata, then irsfHigh.
func (t *Table) DefaultHighCountries() []string {
	var out []string
	for _, r := range t.regions {
		if r.cc == 1 && !slices.Contains(nanpDomestic, r.code) {
			out = append(out, r.code)
		}
	}
	slices.Sort(out)
	for _, c := range irsfHigh {
		if _, ok := t.byCode[c]; ok {
			out = append(out, c)
		}
	}
	return out
}

func (d *Dialing) setTiers(o Options) error {
	t := d.t
	types := defaultTypeTier
	for ty, tier := range o.Types {
		if ty >= numTypes || tier >= numTiers {
			return &optionsError{"destination: tier override out of range"}
		}
		types[ty] = tier
	}
	foreign := Medium
	if o.Default != nil {
		if *o.Default >= numTiers {
			return &optionsError{"destination: default tier out of range"}
		}
		foreign = *o.Default
	}
	countries := make([]Tier, len(t.regions))
	set := make([]bool, len(countries))
	for code, tier := range o.Countries {
		i, ok := t.byCode[code]
		if !ok {
			return &optionsError{"destination: tiers.countries: unknown country " + quote(code) + " (an ISO 3166 region code libphonenumber knows, or 001 for the international networks)"}
		}
		if tier >= numTiers {
			return &optionsError{"destination: tier override out of range"}
		}
		countries[i], set[i] = tier, true
	}
	high := t.DefaultHighCountries()
	for i, r := range t.regions {
		if set[i] {
			continue
		}
		switch {
		case int32(i) == d.home:
			countries[i] = Low
		case slices.Contains(high, r.code):
			countries[i] = High
		case r.cc == d.homeCC:
			countries[i] = Low
		default:
			countries[i] = foreign
		}
	}
	d.tiers = make([]Tier, len(t.classes))
	d.byType = make([]bool, len(t.classes))
	for c := range t.classes {
		dest := t.Destination(int32(c))
		tt := types[dest.Type]
		var ct Tier
		switch cl := t.classes[c]; {
		case dest.Type == Internal:
			ct = Low
		case cl.region >= 0:
			ct = countries[cl.region]
		case cl.cc == d.homeCC:
			ct = Low // a number of the home code that fits no region
		default:
			ct = foreign
		}
		d.tiers[c] = max(tt, ct)
		d.byType[c] = tt >= ct
	}
	return nil
}
