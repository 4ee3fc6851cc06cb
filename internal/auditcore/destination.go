package auditcore

import (
	"strings"

	"github.com/tollgate/tollgate/core/destination"
	"github.com/tollgate/tollgate/export"
)

// CodeHighTierDestination flags a forwarding, transfer, notification or
// fax number that reaches a destination of the high risk tier (premium
// rate, shared cost, satellite and international networks, the countries
// the tiering calls high): where toll fraud sends a hijacked mailbox. Only
// with tables that declare a region (docs/tables.md, Destinations).
const CodeHighTierDestination = "high_tier_destination"

// highTierHead starts the finding's message; the destination follows in
// a fixed form ("country DO, region +1, type fixed_or_mobile, tier
// high") that HighTierCountry reads back for the summary.
const highTierHead = "this number reaches a high-tier destination: country "

// checkDestination classifies number with the tables' region and flags a
// high tier. A number the table refuses is not flagged again: its
// blocked_number finding (just added, if any) already says so.
func (c *Core) checkDestination(field export.Field, number string, before int, out *Record) {
	for _, f := range out.Findings[before:] {
		if f.Code == CodeBlockedNumber {
			return
		}
	}
	k, ok := c.dest.ClassifyString(number)
	if !ok || c.dest.Tier(k) < destination.High {
		return
	}
	d := c.dest.Destination(k)
	if d.Type == destination.Internal || d.Type == destination.Unknown && d.Country == "" {
		return
	}
	country := d.Country
	if country == "" {
		country = "unknown"
	}
	msg := highTierHead + country
	if d.CallingCode > 0 {
		msg += ", region " + c.dest.CallingCodeName(d.CallingCode)
	}
	out.Add(CodeHighTierDestination, field, msg+", type "+d.Type.String()+", tier "+c.dest.Tier(k).String()+
		"; the restriction table lets it through: check why this user needs it")
}

// HighTierCountry returns the country a high_tier_destination finding's
// message names ("DO", "001" for the international networks), "" for
// another message.
func HighTierCountry(msg string) string {
	rest, ok := strings.CutPrefix(msg, highTierHead)
	if !ok {
		return ""
	}
	if i := strings.IndexAny(rest, ",;"); i >= 0 {
		rest = rest[:i]
	}
	return rest
}
