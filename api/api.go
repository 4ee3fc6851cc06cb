package api

import (
	"strconv"

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
	ErrInterrupted   ErrorCode = "interrupted"    // the operation's deadline stopped it: nothing is known of its answer
)

// errInterrupted is the error of an operation its interrupt stopped.
var errInterrupted = &Error{Code: ErrInterrupted, Message: "the operation was stopped before it finished: its deadline passed"}

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

// UnknownHandle is the error of a request naming a handle nothing is
// loaded under; field is "policy", "tables" or "handle". Engines that keep
// their own handles answer with it, as a Session does.
func UnknownHandle(field string, h Handle) *Error {
	what := field
	if field == "handle" {
		what = "document"
	}
	return &Error{Code: ErrBadRequest, Field: field, Message: "no loaded " + what + " with handle " + strconv.FormatUint(uint64(h), 10)}
}

// ParseError reads the error object {"error": {...}} an operation
// answered with (a module's answer, a service's body).
func ParseError(b []byte) (*Error, error) {
	var e Error
	d := jsonx.NewDecoder(b)
	err := d.Object(func(key string) error {
		if key != "error" {
			return unknownField(d, key, errorObjectFields)
		}
		return d.Object(func(key string) (err error) {
			switch key {
			case "code":
				var s string
				s, err = readString(d)
				e.Code = ErrorCode(s)
			case "message":
				e.Message, err = readString(d)
			case "field":
				e.Field, err = readString(d)
			default:
				err = unknownField(d, key, errorFields)
			}
			return err
		})
	})
	if err == nil {
		err = d.End()
	}
	if err != nil {
		return nil, requestError(err)
	}
	if e.Code == "" {
		return nil, &Error{Code: ErrBadRequest, Field: "error.code", Message: "an error object needs a code"}
	}
	return &e, nil
}

var (
	errorObjectFields = []string{"error"}
	errorFields       = []string{"code", "message", "field"}
)
