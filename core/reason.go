package core

// Code is a stable, machine-readable reason code. Codes are never renamed;
// new ones may be added. The set is listed in docs/reasons.md.
type Code string

// PIN and password codes (DESIGN.md, "Stable reason codes").
const (
	CodeTooShort                  Code = "too_short"
	CodeTooLong                   Code = "too_long"
	CodeNotDigits                 Code = "not_digits"
	CodeRepeatedDigit             Code = "repeated_digit"
	CodeFewDistinct               Code = "few_distinct"
	CodeRepeatedGroup             Code = "repeated_group"
	CodeSequential                Code = "sequential"
	CodeKeypadLine                Code = "keypad_line"
	CodeContainsExtension         Code = "contains_extension"
	CodeContainsReversedExtension Code = "contains_reversed_extension"
	CodeExtensionSuffix           Code = "extension_suffix"
	CodeAllSame                   Code = "all_same"
	CodeNameDigits                Code = "name_digits"
	CodeDate                      Code = "date"
	CodeCommon                    Code = "common"
	CodeReused                    Code = "reused"

	CodeFewClasses            Code = "few_classes"
	CodeMissingClass          Code = "missing_class"
	CodeRepeatedChar          Code = "repeated_char"
	CodeContainsAlias         Code = "contains_alias"
	CodeContainsReversedAlias Code = "contains_reversed_alias"
	CodeConsecutiveChars      Code = "consecutive_chars"
	CodeTooSimilar            Code = "too_similar"
)

// Reason explains one refusal. Start and End delimit the part of the input
// the reason concerns, counted in characters (Unicode code points, which are
// bytes for a PIN), End exclusive; they are meaningful only when HasSpan is
// set. Limit carries the one numeric parameter a message needs (a minimum
// length, a history depth, ...), Detail a short non-secret word (a class
// name, a context field) where one applies. A Reason never holds the input.
type Reason struct {
	Code    Code
	HasSpan bool
	Start   int
	End     int
	Limit   int
	Detail  string
}

// Verdict is the outcome of a check: Accepted is true when Reasons is empty.
// A Verdict may be reused across calls (Reset keeps the backing array), which
// is how the PIN check stays allocation-free.
type Verdict struct {
	Accepted bool
	Reasons  []Reason
}

// Reset empties v for reuse without freeing its storage.
func (v *Verdict) Reset() {
	v.Accepted = true
	v.Reasons = v.Reasons[:0]
}

// add appends a reason and marks the verdict refused.
func (v *Verdict) add(r Reason) {
	v.Accepted = false
	v.Reasons = append(v.Reasons, r)
}

// Has reports whether v carries a reason with code c.
func (v *Verdict) Has(c Code) bool {
	for i := range v.Reasons {
		if v.Reasons[i].Code == c {
			return true
		}
	}
	return false
}
