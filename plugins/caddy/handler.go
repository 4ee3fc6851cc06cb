package tollgatecaddy

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"go.uber.org/zap"

	"github.com/tollgate/tollgate"
	"github.com/tollgate/tollgate/api"
	"github.com/tollgate/tollgate/core/dialplan"
)

func init() {
	caddy.RegisterModule(Handler{})
}

// DefaultMaxBody bounds the body the handler reads to find its fields: a
// form that changes a PIN or a password is small.
const DefaultMaxBody = 64 << 10

// Checks a Field may ask for.
const (
	CheckPIN      = "pin"
	CheckPassword = "password"
	CheckDial     = "dial"
)

// The handler's own error codes, beside the api's.
const (
	errTooLarge             api.ErrorCode = "too_large"
	errUnsupportedMediaType api.ErrorCode = "unsupported_media_type"
)

// Handler checks request fields with tollgate before the next handler.
type Handler struct {
	// Engine is "wasm" (the embedded module, the default) or "native".
	Engine string `json:"engine,omitempty"`
	// Policy is the policy for PIN and password checks: a profile name
	// ("cuc") or a policy document. Zero: cuc.
	Policy api.PolicyRef `json:"policy,omitzero"`
	// Tables are the restriction tables for dial checks: a built-in set's
	// name or a tables document. Zero: "default".
	Tables api.TablesRef `json:"tables,omitzero"`
	// MaxBody is the largest body read, in bytes; larger requests get 413.
	MaxBody int64 `json:"max_body,omitempty"`
	// Fields are the request fields to check.
	Fields []Field `json:"fields,omitempty"`

	logger  *zap.Logger
	poolKey string // the engine's key in engines, set once it is held
	eng     *sharedEngine
	// loaded are the handles Provision loaded, which Cleanup unloads; the
	// engine counts loads, so a handle another handler (the next config's)
	// loaded too stays.
	loaded []api.Handle
	// tables is the handle the dial fields match against.
	tables api.Handle
}

// Field names one request field and how to check it.
type Field struct {
	// Name is the field: a form field, or a JSON member (a dotted path
	// such as "user.new_pin" reaches into nested objects).
	Name string `json:"name"`
	// Check is "pin", "password" or "dial".
	Check string `json:"check"`
	// Context maps a context key of the check to the request field that
	// holds it. pin: extensions, first_name, last_name, dob, previous.
	// password: alias, extensions, old, previous.
	Context map[string]string `json:"context,omitempty"`
	// Policy overrides the handler's policy for this field.
	Policy api.PolicyRef `json:"policy,omitzero"`
	// Table, or Cos and Feature, select the restriction table of a dial
	// check; with neither, the set's default table applies.
	Table   string `json:"table,omitempty"`
	Cos     string `json:"cos,omitempty"`
	Feature string `json:"feature,omitempty"`

	policy api.PolicyRef // the loaded policy's handle (pin, password)
	// A dial field's table: its index in the loaded set and its name.
	table     int
	tableName string
	// patterns are the patterns of the rows that refused a number so far,
	// by row and trunk-code twin, as the dial operation gave them.
	patterns *sync.Map
}

var contextKeys = map[string][]string{
	CheckPIN:      {"extensions", "first_name", "last_name", "dob", "previous"},
	CheckPassword: {"alias", "extensions", "old", "previous"},
	CheckDial:     {},
}

// CaddyModule returns the Caddy module information.
func (Handler) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "http.handlers.tollgate",
		New: func() caddy.Module { return new(Handler) },
	}
}

// parseEngine reads the Engine option; empty is wasm.
func parseEngine(s string) (tollgate.Engine, error) {
	if s == "" {
		return tollgate.Wasm, nil
	}
	kind, err := tollgate.ParseEngine(s)
	if err != nil {
		return kind, fmt.Errorf("tollgate: engine %q: want wasm or native", s)
	}
	return kind, nil
}

// Provision opens the engine (shared), loads the policies and the tables
// into it once (requests then name them by handle), and resolves each
// dial field's table, so that a bad policy, tables document or table name
// fails the config load, not every request.
func (h *Handler) Provision(ctx caddy.Context) error {
	h.logger = ctx.Logger()
	if h.MaxBody == 0 {
		h.MaxBody = DefaultMaxBody
	}
	kind, err := parseEngine(h.Engine)
	if err != nil {
		return err
	}
	h.Engine = kind.String()
	v, _, err := engines.LoadOrNew(h.Engine, func() (caddy.Destructor, error) {
		c, err := newChecker(context.Background(), kind)
		if err != nil {
			return nil, err
		}
		return &sharedEngine{c}, nil
	})
	if err != nil {
		return fmt.Errorf("tollgate: engine %s: %w", h.Engine, err)
	}
	h.poolKey, h.eng = h.Engine, v.(*sharedEngine)

	var policy api.PolicyRef
	var dials bool
	for i := range h.Fields {
		f := &h.Fields[i]
		switch {
		case f.Check == CheckDial:
			dials = true
		case !f.Policy.IsZero():
			if f.policy, err = h.loadPolicy(ctx, f.Policy); err != nil {
				return fmt.Errorf("tollgate: field %q: policy: %w", f.Name, err)
			}
		default:
			if policy.IsZero() {
				if policy, err = h.loadPolicy(ctx, h.Policy); err != nil {
					return fmt.Errorf("tollgate: policy: %w", err)
				}
			}
			f.policy = policy
		}
	}
	if policy.IsZero() && !h.Policy.IsZero() { // no field uses it: still a config error when bad
		if _, err := h.loadPolicy(ctx, h.Policy); err != nil {
			return fmt.Errorf("tollgate: policy: %w", err)
		}
	}
	if !dials && h.Tables.IsZero() {
		return nil
	}
	info, err := h.eng.LoadTables(ctx, h.Tables)
	if err != nil {
		return fmt.Errorf("tollgate: tables: %w", err)
	}
	h.loaded = append(h.loaded, info.Handle)
	h.tables = info.Handle
	for i := range h.Fields {
		f := &h.Fields[i]
		if f.Check != CheckDial {
			continue
		}
		// The dial operation names what is wrong with the table, class
		// of service or feature (an empty number is an answer:
		// too_short); the scalar path then needs the table's index.
		if _, err := h.eng.Dial(ctx, &api.DialRequest{Tables: api.TablesHandle(h.tables), Table: f.Table, COS: f.Cos, Feature: f.Feature}); err != nil {
			return fmt.Errorf("tollgate: dial field %q: %w", f.Name, err)
		}
		if f.table, err = h.eng.TableIndex(ctx, h.tables, f.Table, f.Cos, f.Feature); err != nil {
			return fmt.Errorf("tollgate: dial field %q: %w", f.Name, err)
		}
		if f.table < 0 || f.table >= len(info.Tables) {
			return fmt.Errorf("tollgate: dial field %q: the engine gave table %d of %d", f.Name, f.table, len(info.Tables))
		}
		f.tableName, f.patterns = info.Tables[f.table], new(sync.Map)
	}
	return nil
}

// loadPolicy loads p (validating it) and returns its handle's reference.
func (h *Handler) loadPolicy(ctx context.Context, p api.PolicyRef) (api.PolicyRef, error) {
	info, err := h.eng.LoadPolicy(ctx, p)
	if err != nil {
		return api.PolicyRef{}, err
	}
	h.loaded = append(h.loaded, info.Handle)
	return api.PolicyHandle(info.Handle), nil
}

// Cleanup unloads what this handler loaded and releases its use of the
// shared engine; the last user closes it. Caddy calls it after a failed
// Provision too, so it releases only what was taken.
func (h *Handler) Cleanup() error {
	if h.eng == nil {
		return nil
	}
	var errs []error
	for _, hd := range h.loaded {
		errs = append(errs, h.eng.Unload(context.Background(), hd))
	}
	h.loaded = nil
	_, err := engines.Delete(h.poolKey)
	h.eng = nil
	return errors.Join(append(errs, err)...)
}

// Validate checks the configuration's shape.
func (h *Handler) Validate() error {
	if len(h.Fields) == 0 {
		return errors.New("tollgate: no fields to check")
	}
	if _, err := parseEngine(h.Engine); err != nil {
		return err
	}
	if h.MaxBody < 0 {
		return errors.New("tollgate: max_body must not be negative")
	}
	seen := map[string]bool{}
	for _, f := range h.Fields {
		keys, ok := contextKeys[f.Check]
		switch {
		case f.Name == "":
			return errors.New("tollgate: a field has no name")
		case !ok:
			return fmt.Errorf("tollgate: field %q: check %q: want pin, password or dial", f.Name, f.Check)
		case seen[f.Name]:
			return fmt.Errorf("tollgate: field %q named twice", f.Name)
		case f.Check == CheckDial && f.Table != "" && f.Cos != "":
			return fmt.Errorf("tollgate: dial field %q: name a table or a cos, not both", f.Name)
		case f.Check != CheckDial && (f.Table != "" || f.Cos != "" || f.Feature != ""):
			return fmt.Errorf("tollgate: field %q: table, cos and feature apply to dial checks only", f.Name)
		case f.Check == CheckDial && !f.Policy.IsZero():
			return fmt.Errorf("tollgate: dial field %q: a policy applies to pin and password checks only", f.Name)
		}
		seen[f.Name] = true
		for k := range f.Context {
			if !contains(keys, k) {
				return fmt.Errorf("tollgate: field %q: context %q: a %s check takes %s", f.Name, k, f.Check, strings.Join(keys, ", "))
			}
		}
	}
	return nil
}

// requestField names the request field an api error is about: the field
// mapped to the context key it names (context.dob → the form's birth date
// field), else the checked field.
func (f *Field) requestField(apiField string) string {
	if k, ok := strings.CutPrefix(apiField, "context."); ok && f.Context[k] != "" {
		return f.Context[k]
	}
	return f.Name
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// ServeHTTP checks the configured fields and passes the request on
// unchanged when none is refused.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request, next caddyhttp.Handler) error {
	// A request without a body is checked too: the upstream may read a
	// field from the URL query (r.FormValue does). An empty body is no
	// body (Caddy's request body is never http.NoBody).
	var body []byte
	hadBody := r.Body != nil && r.Body != http.NoBody
	if hadBody {
		var err error
		body, err = io.ReadAll(io.LimitReader(r.Body, h.MaxBody+1))
		r.Body.Close()
		if err != nil {
			return caddyhttp.Error(http.StatusBadRequest, fmt.Errorf("tollgate: reading the body: %w", err))
		}
		if int64(len(body)) > h.MaxBody {
			return writeError(w, http.StatusRequestEntityTooLarge, &api.Error{Code: errTooLarge,
				Message: "request body larger than " + strconv.FormatInt(h.MaxBody, 10) + " bytes"})
		}
		if len(body) == 0 {
			body = nil
		}
	}

	vals, perr := parseValues(r, body, h.MaxBody)
	if perr != nil {
		return writeError(w, perr.status, &api.Error{Code: perr.code, Message: perr.msg})
	}
	var refusal api.Refusal
	for i := range h.Fields {
		f := &h.Fields[i]
		v, ok, err := vals.one(f.Name)
		if err != nil {
			return writeError(w, http.StatusBadRequest, &api.Error{Code: api.ErrBadRequest, Message: err.Error(), Field: f.Name})
		}
		if !ok {
			continue // this request does not set the field
		}
		rf, status, err := h.check(r.Context(), f, v, vals)
		if err != nil {
			var ae *api.Error
			if errors.As(err, &ae) && status < 500 {
				return writeError(w, status, &api.Error{Code: ae.Code, Message: ae.Message, Field: f.requestField(ae.Field)})
			}
			if status < 500 {
				return writeError(w, status, &api.Error{Code: api.ErrBadRequest, Message: err.Error(), Field: f.Name})
			}
			h.logger.Error("tollgate check failed", zap.String("field", f.Name), zap.String("check", f.Check), zap.Error(err))
			return caddyhttp.Error(http.StatusInternalServerError, err)
		}
		if rf != nil {
			refusal.Refused = append(refusal.Refused, *rf)
		}
	}
	if len(refusal.Refused) > 0 {
		h.logRefusal(r, refusal.Refused)
		return writeAnswer(w, http.StatusUnprocessableEntity, wire.appendRefusal(nil, &refusal))
	}
	if hadBody {
		r.Body = io.NopCloser(bytes.NewReader(body))
	}
	return next.ServeHTTP(w, r)
}

// logRefusal logs which fields were refused and the codes, never a value.
func (h *Handler) logRefusal(r *http.Request, refused []api.RefusedField) {
	for _, rf := range refused {
		codes := make([]string, len(rf.Reasons))
		for i, x := range rf.Reasons {
			codes[i] = string(x.Code)
		}
		h.logger.Info("tollgate refused a field", zap.String("field", rf.Field), zap.String("check", rf.Check),
			zap.Strings("codes", codes), zap.String("uri", r.URL.Path))
	}
}

// check runs one field's check; it returns the refusal, or nil when the
// value is accepted, and the status of an error.
func (h *Handler) check(ctx context.Context, f *Field, v string, vals values) (*api.RefusedField, int, error) {
	if f.Check == CheckDial {
		return h.dial(ctx, f, v)
	}
	// The context fields are read the way the checked field is: an
	// ambiguous one is refused (400) rather than guessed.
	var cerr error
	one := func(key string) string {
		s, _, err := vals.one(f.Context[key])
		cerr = errors.Join(cerr, err)
		return s
	}
	list := func(key string) []string {
		l, err := vals.list(f.Context[key])
		cerr = errors.Join(cerr, err)
		return l
	}
	var verdict api.Verdict
	var err error
	switch f.Check {
	case CheckPIN:
		req := api.PINRequest{Policy: f.policy, PIN: v, Context: api.PINContext{
			Extensions: list("extensions"), FirstName: one("first_name"), LastName: one("last_name"),
			DateOfBirth: one("dob"), Previous: list("previous"), Year: time.Now().Year(),
		}}
		if cerr != nil {
			return nil, http.StatusBadRequest, cerr
		}
		verdict, err = h.eng.CheckPIN(ctx, &req)
	case CheckPassword:
		req := api.PasswordRequest{Policy: f.policy, Password: v, Context: api.PasswordContext{
			Alias: one("alias"), Extensions: list("extensions"), Old: one("old"), Previous: list("previous"),
		}}
		if cerr != nil {
			return nil, http.StatusBadRequest, cerr
		}
		verdict, err = h.eng.CheckPassword(ctx, &req)
	}
	if err != nil {
		return nil, errorStatus(err), err
	}
	if verdict.Accepted {
		return nil, http.StatusOK, nil
	}
	return &api.RefusedField{Field: f.Name, Check: f.Check, Reasons: verdict.Reasons}, http.StatusOK, nil
}

// dial checks a number on the scalar path: no JSON on either engine, no
// allocation natively, and on the wasm engine a fraction of the dial
// operation's cost. The verdict is the engine's. A refusal carries the
// whole dial answer (the table's name, the row's pattern, the number as
// matched) explained in the words of the dial catalogue: the first number
// a row refuses gets it from the dial operation, which also gives the
// row's pattern for the next ones; from then on, and for a refusal no row
// decided (too short, too long, invalid, no match), it is made from the
// verdict, the number normalized as the engine does (dialplan.Normalize)
// and the table's name from the load.
func (h *Handler) dial(ctx context.Context, f *Field, number string) (*api.RefusedField, int, error) {
	// The number in its wire form (a byte that is not UTF-8 read as
	// U+FFFD, as the dial operation reads it), so both paths match alike.
	if r, _ := api.Validate(&api.DialRequest{Number: number}); r != nil {
		number = r.Number
	}
	num := []byte(number)
	verdict, err := h.eng.DialNumber(ctx, h.tables, f.table, num)
	if err != nil {
		return nil, http.StatusInternalServerError, err
	}
	if verdict.Allowed {
		return nil, http.StatusOK, nil
	}
	var d api.DialResult
	key := patternKey(verdict)
	pattern, known := f.patterns.Load(key)
	if verdict.Row < 0 || known {
		p, _ := pattern.(string)
		d = dialResult(num, verdict, f.tableName, p)
	} else {
		d, err = h.eng.Dial(ctx, &api.DialRequest{Tables: api.TablesHandle(h.tables), Table: f.Table, COS: f.Cos, Feature: f.Feature, Number: number})
		if err != nil {
			return nil, errorStatus(err), err
		}
		if d.Allowed { // the engines keep both paths equal; the answer is the authority
			return nil, http.StatusOK, nil
		}
		if d.Row == verdict.Row {
			f.patterns.Store(key, d.Pattern)
		}
	}
	return &api.RefusedField{Field: f.Name, Check: f.Check, Reasons: []api.Reason{d.Reason.Refusal()}, Dial: &d}, http.StatusOK, nil
}

// patternKey names a deciding row and its trunk-code twin.
func patternKey(v tollgate.DialVerdict) int64 { return int64(v.Row)<<32 | int64(uint32(v.Alt)) }

// dialResult is the dial operation's answer for a verdict of the scalar
// path: the number as matched (separators dropped, or the input and the
// first invalid byte's offset when it is invalid).
func dialResult(number []byte, v tollgate.DialVerdict, table, pattern string) api.DialResult {
	d := api.DialResult{Number: string(number), Allowed: v.Allowed, Reason: api.DialReason(v.Reason.String()),
		Table: table, Row: v.Row, Pattern: pattern}
	var buf [dialplan.MaxDigitsLimit + 1]byte
	norm, dropped, bad := dialplan.Normalize(buf[:0], number)
	d.Dropped = dropped
	switch {
	case bad >= 0:
		d.Position = bad
	case dropped > 0:
		d.Number = string(norm)
	}
	return d
}

// errorStatus is 400 for a request the api refused as malformed, 500 for
// anything else (an engine fault, a deadline).
func errorStatus(err error) int {
	var ae *api.Error
	if errors.As(err, &ae) && ae.Code == api.ErrBadRequest {
		return http.StatusBadRequest
	}
	return http.StatusInternalServerError
}

func writeError(w http.ResponseWriter, status int, e *api.Error) error {
	return writeAnswer(w, status, wire.appendError(nil, e))
}

func writeAnswer(w http.ResponseWriter, status int, b []byte) error {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, err := w.Write(append(b, '\n'))
	return err
}

// Interface guards.
var (
	_ caddy.Provisioner           = (*Handler)(nil)
	_ caddy.CleanerUpper          = (*Handler)(nil)
	_ caddy.Validator             = (*Handler)(nil)
	_ caddyhttp.MiddlewareHandler = (*Handler)(nil)
)
