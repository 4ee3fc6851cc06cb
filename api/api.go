package api

import (
	"strconv"

	"github.com/tollgate/tollgate/core"
	"github.com/tollgate/tollgate/internal/jsonx"
)

// Error is an operation that could not run: a malformed request, an invalid
// policy or tables document, an unknown operation. Its JSON form is
// {"error": {"code": ..., "message": ..., "field": ...}}.
type Error struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	// Field is the path of the offending field when one is known.
	Field string `json:"field,omitempty"`
}

func (e *Error) Error() string {
	if e.Field != "" {
		return e.Code + ": " + e.Field + ": " + e.Message
	}
	return e.Code + ": " + e.Message
}

// Error codes.
const (
	ErrBadRequest    = "bad_request"
	ErrUnknownOp     = "unknown_op"
	ErrInvalidPolicy = "invalid_policy"
	ErrInvalidTables = "invalid_tables"
	ErrInternal      = "internal"
	// ErrDataMissing: the operation needs a data artifact (docs/abi.md,
	// "Data artifacts") that the engine has not loaded.
	ErrDataMissing = "data_missing"
	// ErrBadData: a data artifact is malformed, corrupt or unknown.
	ErrBadData = "bad_data"
	// ErrInterrupted: the session's interrupt (SetInterrupt) stopped the
	// operation before it finished; nothing is known of its answer.
	ErrInterrupted = "interrupted"
)

// errInterrupted is the error of an operation the interrupt stopped.
var errInterrupted = &Error{Code: ErrInterrupted, Message: "the operation was stopped before it finished: its deadline passed"}

// handler runs one operation: it decodes req and appends the JSON response
// to out.
type handler func(s *Session, req []byte, out []byte) ([]byte, error)

var handlers = map[string]handler{}

// register adds an operation; each area registers its own from its file.
func register(op string, h handler) {
	if _, dup := handlers[op]; dup {
		panic("api: duplicate op " + op)
	}
	handlers[op] = h
}

// Ops lists the registered operation names.
func Ops() []string {
	out := make([]string, 0, len(handlers))
	for op := range handlers {
		out = append(out, op)
	}
	return out
}

// Session holds what requests may refer to by value or by handle: loaded
// policies and tables. A Session is not safe for concurrent use; each wasm
// instance and each native engine worker has its own.
type Session struct {
	policies     []*core.Policy
	policyByText map[string]*core.Policy
	dial         dialSession        // loaded restriction tables (dial.go)
	passwords    *core.PasswordList // from the "passwords" data artifact (data.go)
	interrupt    func() bool        // nil, or s.poll while a host's f is installed
	stop         func() bool        // the host's f
	interrupted  bool               // f said stop during the current operation
}

// SetInterrupt installs f, which the session's long work polls: PBKDF2
// (hash.verify, hash.make, stored records in a history), building
// automata (tables.load, inline tables, lint). When f returns true the
// work stops and the operation answers ErrInterrupted. A host with a
// deadline passes a function that checks it (the api reads no clock); nil,
// the default, never interrupts. f is called on the goroutine running Do.
func (s *Session) SetInterrupt(f func() bool) {
	s.stop, s.interrupt = f, nil
	if f != nil {
		s.interrupt = s.poll // one method value, not one closure per call
	}
}

// poll is what the session's work polls: the host's function, remembered
// so that an operation knows its answer is void.
func (s *Session) poll() bool {
	if s.stop() {
		s.interrupted = true
	}
	return s.interrupted
}

// NewSession returns an empty session.
func NewSession() *Session {
	return &Session{policyByText: map[string]*core.Policy{}}
}

// maxCached bounds the by-value caches so a stream of distinct inline
// documents cannot grow a session without limit.
const maxCached = 256

// Do runs op with the JSON request req and appends the JSON response to out.
// It always produces a JSON object: the operation's result or an error.
func (s *Session) Do(op string, req []byte, out []byte) ([]byte, error) {
	h, ok := handlers[op]
	if !ok {
		return appendError(out, &Error{Code: ErrUnknownOp, Message: "unknown operation " + quote(op)}), &Error{Code: ErrUnknownOp}
	}
	s.interrupted = false
	res, err := h(s, req, out)
	if s.interrupted {
		res, err = nil, errInterrupted
	}
	if err != nil {
		e, ok := err.(*Error)
		if !ok {
			e = &Error{Code: ErrInternal, Message: err.Error()}
		}
		return appendError(out, e), e
	}
	return res, nil
}

// appendError appends {"error": {"code", "message", "field"}}, field only
// when known.
func appendError(out []byte, e *Error) []byte {
	out = append(out, `{"error":{"code":`...)
	out = AppendString(out, e.Code)
	out = append(out, `,"message":`...)
	out = AppendString(out, e.Message)
	if e.Field != "" {
		out = append(out, `,"field":`...)
		out = AppendString(out, e.Field)
	}
	return append(out, "}}"...)
}

// AppendVerdict appends the JSON form of v:
// {"accepted": bool, "reasons": [{"code", "message", "start", "end", "limit", "detail"}]}
// with start/end only where a span applies and limit/detail only when set.
func AppendVerdict(b []byte, v *core.Verdict) []byte {
	b = append(b, `{"accepted":`...)
	b = strconv.AppendBool(b, v.Accepted)
	b = append(b, `,"reasons":[`...)
	for i := range v.Reasons {
		if i > 0 {
			b = append(b, ',')
		}
		b = AppendReason(b, &v.Reasons[i])
	}
	return append(b, "]}"...)
}

// AppendReason appends the JSON form of one reason.
func AppendReason(b []byte, r *core.Reason) []byte {
	b = append(b, `{"code":`...)
	b = AppendString(b, string(r.Code))
	b = append(b, `,"message":`...)
	b = AppendString(b, core.Message(*r))
	if r.HasSpan {
		b = append(b, `,"start":`...)
		b = strconv.AppendInt(b, int64(r.Start), 10)
		b = append(b, `,"end":`...)
		b = strconv.AppendInt(b, int64(r.End), 10)
	}
	if r.Limit != 0 {
		b = append(b, `,"limit":`...)
		b = strconv.AppendInt(b, int64(r.Limit), 10)
	}
	if r.Detail != "" {
		b = append(b, `,"detail":`...)
		b = AppendString(b, r.Detail)
	}
	return append(b, '}')
}

// AppendString appends s as a JSON string literal (invalid UTF-8 becomes
// U+FFFD; U+2028 and U+2029 are escaped, so it is valid JavaScript too).
func AppendString(b []byte, s string) []byte {
	return jsonx.AppendString(b, s)
}

// quote renders s for a message as a JSON string literal; strconv.Quote
// would link its own escaping tables into the module.
func quote(s string) string { return string(AppendString(nil, s)) }
