package auditcore

import "github.com/tollgate/tollgate/export"

// Finding codes the audit adds to the core's PIN, password, dial and
// credential codes (docs/audit.md lists them all).
const (
	CodeBadRow           = "bad_row"
	CodeSharedPIN        = "shared_pin"
	CodeRecoveredTrivial = "recovered_trivial"
	CodeRecoveredPIN     = "recovered_pin"
	CodeFIPSLegacyHash   = "fips_legacy_hash"
	CodeBlockedNumber    = "blocked_number"
	CodeUnknownScheme    = "unknown_scheme"
	CodeMalformed        = "malformed"
	CodeInvalidValue     = "invalid_value"
	CodeCheckFailed      = "check_failed"
)

// Finding is one problem in one row. Code is one of the core's codes or
// the audit's (above); Field names the column it is about (an
// export.Field's String: "pin", "transfer_number"), "" for the row as a
// whole. Message is English prose that never holds the PIN, password or
// hash it is about.
type Finding struct {
	Code    string `json:"code"`
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Record is the outcome for one input data row: every row yields exactly
// one, in input order, bad rows included. Line is the row's first
// physical line in the file (the header is line 1).
type Record struct {
	Line     int       `json:"line"`
	Alias    string    `json:"alias"`
	COS      string    `json:"cos,omitempty"`
	Findings []Finding `json:"findings"`
}

// Add appends a finding about field (0: the row as a whole).
func (r *Record) Add(code string, field export.Field, msg string) {
	name := ""
	if field != 0 {
		name = field.String()
	}
	r.Findings = append(r.Findings, Finding{Code: code, Field: name, Message: msg})
}
