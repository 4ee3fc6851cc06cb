package api

import (
	"bytes"
	"context"

	"github.com/tollgate/tollgate/internal/jsonx"
)

// Operations is every tollgate operation as a Go method: what a Session
// runs in-process, what both engines of package tollgate run (natively or
// in the WebAssembly module), and what Do adapts to JSON. Implementations
// are safe for concurrent use.
//
// An operation that cannot run (a malformed request, an invalid policy or
// tables document, an unknown handle) returns an *Error; an engine may
// also return its own faults or the context's error.
type Operations interface {
	LoadPolicy(ctx context.Context, p PolicyRef) (PolicyInfo, error)
	LoadTables(ctx context.Context, t TablesRef) (TablesInfo, error)
	Unload(ctx context.Context, h Handle) error

	CheckPIN(ctx context.Context, r *PINRequest) (Verdict, error)
	CheckPassword(ctx context.Context, r *PasswordRequest) (Verdict, error)
	Dial(ctx context.Context, r *DialRequest) (DialResult, error)
	Lint(ctx context.Context, r *LintRequest) (LintResult, error)
	VerifyHash(ctx context.Context, r *HashVerifyRequest) (HashResult, error)
	MakeHash(ctx context.Context, r *HashMakeRequest) (HashRecord, error)
	SignIn(ctx context.Context, r *SignInRequest) (SignInResult, error)
}

var _ Operations = (*Session)(nil)

// UnloadRequest is the "unload" operation's request.
type UnloadRequest struct {
	Handle Handle `json:"handle"`
}

// opNames lists the operations in documentation order.
var opNames = []string{"policy.load", "tables.load", "unload", "pin", "password", "dial", "lint", "hash.verify", "hash.make", "signin"}

// Ops lists the operation names.
func Ops() []string { return append([]string(nil), opNames...) }

// Do runs operation op of x with the JSON request req and appends the JSON
// answer to out: the result, or, when the operation could not run, the
// error object {"error": {"code", "message", "field"}} with a non-nil
// error. An error that is not an *Error (an engine fault, a cancelled
// context) is returned with nothing appended.
func Do(ctx context.Context, x Operations, op string, req, out []byte) ([]byte, error) {
	return dispatch(ctx, x, op, req, out)
}

// Do is Do for the session, on a call with no context: the WebAssembly
// module's, whose deadline is its host's (SessionOptions.Interrupt).
// Calling the session's methods directly, not through Operations, keeps
// the module free of the codecs only hosts use. The context is nil, not
// context.Background(): any context value in the module would keep the
// time package's formatting code alive there (about 45 KB gzip, through
// its Deadline method); the session's methods accept a nil context.
func (s *Session) Do(op string, req, out []byte) ([]byte, error) {
	//lint:ignore SA1012 the module has no context to pass; see above.
	return dispatch[*Session](nil, s, op, req, out)
}

// dispatch is the one place an operation's name meets its wire form: it
// decodes the request, runs the operation and encodes the answer.
func dispatch[X Operations](ctx context.Context, x X, op string, req, out []byte) (res []byte, err error) {
	switch op {
	case "policy.load":
		var r ref
		if r, err = decodeDocument(req, "policy"); err == nil {
			var a PolicyInfo
			if a, err = x.LoadPolicy(ctx, PolicyRef{r}); err == nil {
				res = a.appendJSON(out)
			}
		}
	case "tables.load":
		var r ref
		if r, err = decodeDocument(req, "tables"); err == nil {
			var a TablesInfo
			if a, err = x.LoadTables(ctx, TablesRef{r}); err == nil {
				res = a.appendJSON(out)
			}
		}
	case "unload":
		var r UnloadRequest
		if err = decodeRequest(req, &r); err == nil {
			if err = x.Unload(ctx, r.Handle); err == nil {
				res = append(out, "{}"...)
			}
		}
	case "pin":
		var r PINRequest
		if err = decodeRequest(req, &r); err == nil {
			var a Verdict
			if a, err = x.CheckPIN(ctx, &r); err == nil {
				res = a.appendJSON(out)
			}
		}
	case "password":
		var r PasswordRequest
		if err = decodeRequest(req, &r); err == nil {
			var a Verdict
			if a, err = x.CheckPassword(ctx, &r); err == nil {
				res = a.appendJSON(out)
			}
		}
	case "dial":
		var r DialRequest
		if err = decodeRequest(req, &r); err == nil {
			var a DialResult
			if a, err = x.Dial(ctx, &r); err == nil {
				res = a.appendJSON(out)
			}
		}
	case "lint":
		var r LintRequest
		if err = decodeRequest(req, &r); err == nil {
			var a LintResult
			if a, err = x.Lint(ctx, &r); err == nil {
				res = a.appendJSON(out)
			}
		}
	case "hash.verify":
		var r HashVerifyRequest
		if err = decodeRequest(req, &r); err == nil {
			var a HashResult
			if a, err = x.VerifyHash(ctx, &r); err == nil {
				res = a.appendJSON(out)
			}
		}
	case "hash.make":
		var r HashMakeRequest
		if err = decodeRequest(req, &r); err == nil {
			var a HashRecord
			if a, err = x.MakeHash(ctx, &r); err == nil {
				res = a.appendJSON(out)
			}
		}
	case "signin":
		var r SignInRequest
		if err = decodeRequest(req, &r); err == nil {
			var a SignInResult
			if a, err = x.SignIn(ctx, &r); err == nil {
				res = a.appendJSON(out)
			}
		}
	default:
		err = &Error{Code: ErrUnknownOp, Message: "unknown operation " + quote(op)}
	}
	if err != nil {
		e, ok := err.(*Error)
		if !ok {
			return out, err
		}
		return appendError(out, e), e
	}
	return res, nil
}

// The answers are encoded by concrete calls, never through an interface:
// an interface call would keep every type's appendJSON alive in the
// module, requests' included, which only hosts use.

// decodeDocument reads a load's body: a name (a JSON string) or a
// document (anything else, which its parser judges).
func decodeDocument(req []byte, what string) (ref, error) {
	// A document is handed whole to its parser, which reports its own
	// errors (with the document's paths); only a name is read here.
	if doc := bytes.TrimSpace(req); len(doc) > 0 && doc[0] != '"' {
		return ref{kind: refDoc, doc: doc}, nil
	}
	d := jsonx.NewDecoder(req)
	r, err := decodeRef(d, what)
	if err != nil {
		return ref{}, requestError(err)
	}
	if err := d.End(); err != nil {
		return ref{}, requestError(err)
	}
	if r.kind == refDefault {
		return ref{}, &Error{Code: ErrBadRequest, Message: "want a " + what + " name or a " + what + " document"}
	}
	return r, nil
}

func (r *UnloadRequest) decodeJSON(d *jsonx.Decoder) error {
	return d.Object(func(key string) (err error) {
		switch key {
		case "handle":
			r.Handle, err = readHandle(d)
		default:
			err = unknownField(d, key, unloadRequestFields)
		}
		return err
	})
}

var unloadRequestFields = []string{"handle"}
