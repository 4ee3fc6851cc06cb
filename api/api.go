package api

import (
	"github.com/tollgate/tollgate/internal/jsonx"
)

// ErrorCode is a stable, machine-readable code of an operation that could
// not run.
type ErrorCode string

// Error codes.
const (
	ErrBadRequest    ErrorCode = "bad_request"    // the request is malformed or incomplete (Field says where)
	ErrUnknownOp     ErrorCode = "unknown_op"     // no operation of that name
	ErrInvalidPolicy ErrorCode = "invalid_policy" // the policy document is invalid (Field is its path)
	ErrInvalidTables ErrorCode = "invalid_tables" // the tables document is invalid (Field is its path)
	ErrInternal      ErrorCode = "internal"       // a bug, or a panic in the module
	ErrBadData       ErrorCode = "bad_data"       // a data artifact is corrupt or unknown
	ErrDataMissing   ErrorCode = "data_missing"   // the policy needs a data artifact the engine has not loaded
)

// Error is an operation that could not run: a malformed request, an invalid
// policy or tables document, an unknown operation or handle. Its JSON form
// is {"error": {"code": ..., "message": ..., "field": ...}}. The message
// never repeats a value of the request that could be a secret.
type Error struct {
	Code    ErrorCode `json:"code"`
	Message string    `json:"message"`
	// Field is the path of the offending field when one is known.
	Field string `json:"field,omitempty"`
}

func (e *Error) Error() string {
	if e.Field != "" {
		return string(e.Code) + ": " + e.Field + ": " + e.Message
	}
	return string(e.Code) + ": " + e.Message
}

// Is makes errors.Is(err, &Error{Code: c}) match any *Error with code c.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code && (t.Message == "" || t.Message == e.Message) && (t.Field == "" || t.Field == e.Field)
}

// AppendError appends the error object {"error": {...}} for err (an
// *Error; anything else is reported as internal).
func AppendError(out []byte, err error) []byte {
	e, ok := err.(*Error)
	if !ok {
		e = &Error{Code: ErrInternal, Message: err.Error()}
	}
	return appendError(out, e)
}

// appendError appends {"error":{"code","message","field"}}, field only
// when known.
func appendError(out []byte, e *Error) []byte {
	out = append(out, `{"error":{"code":`...)
	out = AppendString(out, string(e.Code))
	out = append(out, `,"message":`...)
	out = AppendString(out, e.Message)
	if e.Field != "" {
		out = append(out, `,"field":`...)
		out = AppendString(out, e.Field)
	}
	return append(out, "}}"...)
}

// AppendString appends s as a JSON string literal (invalid UTF-8 becomes
// U+FFFD; U+2028 and U+2029 are escaped, so it is valid JavaScript too).
func AppendString(b []byte, s string) []byte {
	return jsonx.AppendString(b, s)
}

// quote renders s for a message as a JSON string literal; strconv.Quote
// would link its own escaping tables into the module.
func quote(s string) string { return string(AppendString(nil, s)) }
