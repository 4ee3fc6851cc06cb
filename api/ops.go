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

// An op decodes its JSON request, runs it on an Operations and appends the
// JSON answer. This table is the one place an operation's name meets its
// wire form.
type op func(ctx context.Context, x Operations, req, out []byte) ([]byte, error)

var ops = map[string]op{
	"policy.load": func(ctx context.Context, x Operations, req, out []byte) ([]byte, error) {
		r, err := decodeDocument(req, "policy")
		if err != nil {
			return nil, err
		}
		res, err := x.LoadPolicy(ctx, PolicyRef{r})
		if err != nil {
			return nil, err
		}
		return res.appendJSON(out), nil
	},
	"tables.load": func(ctx context.Context, x Operations, req, out []byte) ([]byte, error) {
		r, err := decodeDocument(req, "tables")
		if err != nil {
			return nil, err
		}
		res, err := x.LoadTables(ctx, TablesRef{r})
		if err != nil {
			return nil, err
		}
		return res.appendJSON(out), nil
	},
	"unload": func(ctx context.Context, x Operations, req, out []byte) ([]byte, error) {
		var r UnloadRequest
		if err := decodeRequest(req, &r); err != nil {
			return nil, err
		}
		if err := x.Unload(ctx, r.Handle); err != nil {
			return nil, err
		}
		return append(out, "{}"...), nil
	},
	"pin": func(ctx context.Context, x Operations, req, out []byte) ([]byte, error) {
		var r PINRequest
		if err := decodeRequest(req, &r); err != nil {
			return nil, err
		}
		res, err := x.CheckPIN(ctx, &r)
		if err != nil {
			return nil, err
		}
		return res.appendJSON(out), nil
	},
	"password": func(ctx context.Context, x Operations, req, out []byte) ([]byte, error) {
		var r PasswordRequest
		if err := decodeRequest(req, &r); err != nil {
			return nil, err
		}
		res, err := x.CheckPassword(ctx, &r)
		if err != nil {
			return nil, err
		}
		return res.appendJSON(out), nil
	},
	"dial": func(ctx context.Context, x Operations, req, out []byte) ([]byte, error) {
		var r DialRequest
		if err := decodeRequest(req, &r); err != nil {
			return nil, err
		}
		res, err := x.Dial(ctx, &r)
		if err != nil {
			return nil, err
		}
		return res.appendJSON(out), nil
	},
	"lint": func(ctx context.Context, x Operations, req, out []byte) ([]byte, error) {
		var r LintRequest
		if err := decodeRequest(req, &r); err != nil {
			return nil, err
		}
		res, err := x.Lint(ctx, &r)
		if err != nil {
			return nil, err
		}
		return res.appendJSON(out), nil
	},
	"hash.verify": func(ctx context.Context, x Operations, req, out []byte) ([]byte, error) {
		var r HashVerifyRequest
		if err := decodeRequest(req, &r); err != nil {
			return nil, err
		}
		res, err := x.VerifyHash(ctx, &r)
		if err != nil {
			return nil, err
		}
		return res.appendJSON(out), nil
	},
	"hash.make": func(ctx context.Context, x Operations, req, out []byte) ([]byte, error) {
		var r HashMakeRequest
		if err := decodeRequest(req, &r); err != nil {
			return nil, err
		}
		res, err := x.MakeHash(ctx, &r)
		if err != nil {
			return nil, err
		}
		return res.appendJSON(out), nil
	},
	"signin": func(ctx context.Context, x Operations, req, out []byte) ([]byte, error) {
		var r SignInRequest
		if err := decodeRequest(req, &r); err != nil {
			return nil, err
		}
		res, err := x.SignIn(ctx, &r)
		if err != nil {
			return nil, err
		}
		return res.appendJSON(out), nil
	},
}

// Ops lists the operation names.
func Ops() []string {
	out := make([]string, 0, len(ops))
	for name := range ops {
		out = append(out, name)
	}
	return out
}

// Do runs operation op of x with the JSON request req and appends the JSON
// answer to out: the result, or, when the operation could not run, the
// error object {"error": {"code", "message", "field"}} with a non-nil
// error. An error that is not an *Error (an engine fault, a cancelled
// context) is returned with nothing appended.
func Do(ctx context.Context, x Operations, op string, req, out []byte) ([]byte, error) {
	run, ok := ops[op]
	if !ok {
		e := &Error{Code: ErrUnknownOp, Message: "unknown operation " + quote(op)}
		return appendError(out, e), e
	}
	res, err := run(ctx, x, req, out)
	if err != nil {
		e, ok := err.(*Error)
		if !ok {
			return out, err
		}
		return appendError(out, e), e
	}
	return res, nil
}

// Do is Do(context.Background(), s, op, req, out).
func (s *Session) Do(op string, req, out []byte) ([]byte, error) {
	return Do(context.Background(), s, op, req, out)
}

// The answers are encoded by concrete calls, never through an interface:
// an interface call would keep every type's appendJSON alive in the
// module, requests' included, which only hosts use.

// decodeDocument reads a load's body: a name or a document (a handle is
// refused by the load itself).
func decodeDocument(req []byte, what string) (ref, error) {
	// A document is handed whole to its parser, which reports its own
	// errors (with the document's paths); only a name is read here.
	if doc := bytes.TrimSpace(req); len(doc) > 0 && doc[0] == '{' {
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
