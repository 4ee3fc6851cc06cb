package dialplan

// The refusal catalogue: why a number may not be dialed, one English
// sentence per reason, for the person who entered it (a forwarding number
// in a portal, a transfer target). Every host that explains a refused
// number takes its words from here, so a portal behind the Caddy module,
// the CLI and the audit say the same thing; a host that translates keys
// its own catalogue on RefusalCode. The codes of the PIN and password
// catalogue (core.Catalogue) are a separate set: too_short there counts
// characters of a secret, here the keys of a number.
//
// The sentences name no table, row or pattern: those are the
// administrator's (the dial answer carries them), and a caller probing for
// an open route learns nothing from the wording.

// refusals is indexed by Reason: a slice of constants is static data, and
// nothing here is linked into a program that does not call it.
var refusals = [...]struct{ code, text string }{
	ReasonMatched:  {"blocked", "This number is blocked by the restriction table."},
	ReasonTooShort: {"too_short", "This number has too few digits."},
	ReasonTooLong:  {"too_long", "This number has too many digits."},
	ReasonInvalid:  {"invalid", "This is not a number that can be dialed."},
	ReasonNoMatch:  {"no_match", "This number is not one the restriction table allows."},
	ReasonTimeout:  {"timeout", "This number could not be checked in time, so it may not be dialed."},
}

// unknownRefusal explains a reason this build does not know.
var unknownRefusal = struct{ code, text string }{"blocked", "This number may not be dialed."}

// RefusalCode is the stable code that explains a number refused for
// reason r: "blocked" when a row blocked it (ReasonMatched), else r's own
// code (String). A host that answers a refusal with codes and messages
// uses it as the reason's code.
func (r Reason) RefusalCode() string { return r.refusal().code }

// RefusalMessage is the English sentence for a number refused for reason
// r. It never includes the number.
func (r Reason) RefusalMessage() string { return r.refusal().text }

func (r Reason) refusal() struct{ code, text string } {
	if int(r) < len(refusals) {
		return refusals[r]
	}
	return unknownRefusal
}

// RefusalMessages returns a copy of the refusal catalogue: the English
// sentence for each refusal code, for hosts that translate.
func RefusalMessages() map[string]string {
	out := make(map[string]string, len(refusals))
	for _, e := range refusals {
		out[e.code] = e.text
	}
	return out
}
