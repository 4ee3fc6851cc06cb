package audit

import "github.com/tollgate/tollgate/internal/auditcore"

// Finding codes the audit adds to the core's PIN, password, dial and
// credential codes (docs/audit.md lists them all).
const (
	CodeBadRow           = auditcore.CodeBadRow
	CodeSharedPIN        = auditcore.CodeSharedPIN
	CodeRecoveredTrivial = auditcore.CodeRecoveredTrivial
	CodeRecoveredPIN     = auditcore.CodeRecoveredPIN
	CodeFIPSLegacyHash   = auditcore.CodeFIPSLegacyHash
	CodeBlockedNumber    = auditcore.CodeBlockedNumber
	CodeUnknownScheme    = auditcore.CodeUnknownScheme
	CodeMalformed        = auditcore.CodeMalformed
	CodeInvalidValue     = auditcore.CodeInvalidValue
	CodeCheckFailed      = auditcore.CodeCheckFailed
	// CodeHighTierDestination: a number that reaches a high-tier
	// destination (tables with a region only).
	CodeHighTierDestination = auditcore.CodeHighTierDestination
)

// Finding is one problem in one row. Code is one of the core's codes or
// the audit's (above); Field names the column it is about (an
// export.Field's String: "pin", "transfer_number"), "" for the row as a
// whole. Message is English prose that never holds the PIN, password or
// hash it is about. (The type is the per-row core's, internal/auditcore,
// which the WebAssembly module runs too.)
type Finding = auditcore.Finding

// Record is the outcome for one input data row: every row yields exactly
// one, in input order, bad rows included. Line is the row's first
// physical line in the file (the header is line 1).
type Record = auditcore.Record
