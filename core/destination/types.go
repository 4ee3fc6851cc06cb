package destination

// Type is a number type. The first twelve are libphonenumber's
// (PhoneNumberType); Satellite and InternationalNetwork name what the
// shared codes of ITU's non-geographic networks reach (+870, +881:
// satellite; +882, +883: international networks), whose libphonenumber
// types are mobile or fixed; Internal is a number dialed without an
// outside-line code.
type Type uint8

// Number types. Their names (String) are stable.
const (
	Unknown Type = iota
	FixedLine
	Mobile
	FixedOrMobile
	TollFree
	PremiumRate
	SharedCost
	VoIP
	Personal
	Pager
	UAN
	Voicemail
	Satellite
	InternationalNetwork
	Internal
	numTypes
)

// numRawTypes is how many types the data artifact itself stores
// (libphonenumber's).
const numRawTypes = Voicemail + 1

var typeNames = [numTypes]string{
	"unknown", "fixed", "mobile", "fixed_or_mobile", "toll_free", "premium_rate",
	"shared_cost", "voip", "personal", "pager", "uan", "voicemail",
	"satellite", "international_network", "internal",
}

// String returns the type's stable name.
func (t Type) String() string {
	if t < numTypes {
		return typeNames[t]
	}
	return "unknown"
}

// ParseType returns the type named s.
func ParseType(s string) (Type, bool) {
	for i, n := range typeNames {
		if n == s {
			return Type(i), true
		}
	}
	return 0, false
}

// TypeNames lists the type names, in Type order.
func TypeNames() []string { return typeNames[:] }

// Tier is a risk tier: how much a destination is worth guarding.
type Tier uint8

// Tiers, from least to most risky. Their names are stable.
const (
	Low Tier = iota
	Medium
	High
	numTiers
)

var tierNames = [numTiers]string{"low", "medium", "high"}

// String returns the tier's stable name.
func (t Tier) String() string {
	if t < numTiers {
		return tierNames[t]
	}
	return "high"
}

// ParseTier returns the tier named s.
func ParseTier(s string) (Tier, bool) {
	for i, n := range tierNames {
		if n == s {
			return Tier(i), true
		}
	}
	return 0, false
}

// networkType maps libphonenumber's type of a number of calling code cc
// to the type tollgate reports: the satellite and international-network
// codes are named for what they are.
func networkType(cc uint16, raw Type) Type {
	if raw == Unknown {
		return Unknown
	}
	switch cc {
	case 870, 881:
		return Satellite
	case 882, 883:
		return InternationalNetwork
	}
	return raw
}

// quote renders s for an error message: in quotes, bytes that are not
// printable ASCII as \xHH (strconv.Quote would cost the WebAssembly
// module its Unicode tables).
func quote(s string) string {
	const hex = "0123456789abcdef"
	b := []byte{'"'}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c >= 0x20 && c < 0x7f:
			b = append(b, c)
		default:
			b = append(b, '\\', 'x', hex[c>>4], hex[c&0xf])
		}
	}
	return string(append(b, '"'))
}
