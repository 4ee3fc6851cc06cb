package tollgatecaddy

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"go.uber.org/zap"

	"github.com/tollgate/tollgate/api"
	"github.com/tollgate/tollgate/host"
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

// Handler checks request fields with tollgate before the next handler.
type Handler struct {
	// Engine is "wasm" (the embedded module, the default) or "native".
	Engine string `json:"engine,omitempty"`
	// Policy is the policy document for PIN and password checks: a JSON
	// string naming a profile ("cuc") or a policy object. Empty: cuc.
	Policy json.RawMessage `json:"policy,omitempty"`
	// Tables is the restriction-tables document for dial checks: a JSON
	// string naming a built-in set or a tables object. Empty: "default".
	Tables json.RawMessage `json:"tables,omitempty"`
	// MaxBody is the largest body read, in bytes; larger requests get 413.
	MaxBody int64 `json:"max_body,omitempty"`
	// Fields are the request fields to check.
	Fields []Field `json:"fields,omitempty"`

	eng    *sharedEngine
	logger *zap.Logger
	// policyRef and tablesRef are what requests carry in place of Policy
	// and Tables: the engine-wide handle Provision loaded them under, or
	// the document itself on an engine without the load ops.
	policyRef, tablesRef json.RawMessage
	// inline makes Provision skip the loads, so every request carries
	// the documents (the fallback path; the benchmark's baseline).
	inline bool
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
	Policy json.RawMessage `json:"policy,omitempty"`
	// Table, or Cos and Feature, select the restriction table of a dial
	// check; with neither, the set's default table applies.
	Table   string `json:"table,omitempty"`
	Cos     string `json:"cos,omitempty"`
	Feature string `json:"feature,omitempty"`

	policyRef json.RawMessage // Policy's handle, as Handler.policyRef
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

// engines shares one engine per kind among every handler in the process
// (and across config reloads): the module is compiled once and its pool of
// instances reused.
var engines = caddy.NewUsagePool()

// newEngine opens an engine; a test wraps it to see what handlers send.
var newEngine = host.New

type sharedEngine struct {
	host.Engine
	// loaded maps op and document text to the reference Provision got for
	// it, so re-provisioning the same config (every config reload) reuses
	// the handles instead of growing the engine's load log, which every
	// new instance replays.
	mu     sync.Mutex
	loaded map[string]json.RawMessage
}

func (s *sharedEngine) Destruct() error { return s.Close() }

// load loads doc once through op ("policy.load" or "tables.load") and
// returns what requests should carry: the handle as a JSON number. The
// handle holds on every instance, including ones the engine starts later
// to replace a faulted one, because the host replays loads into each. A
// number is kept as it is (already a handle); an engine without the op
// gets the document inline.
func (s *sharedEngine) load(ctx context.Context, op string, doc json.RawMessage) (json.RawMessage, error) {
	doc = bytes.TrimSpace(doc)
	if len(doc) == 0 || doc[0] >= '0' && doc[0] <= '9' {
		return doc, nil
	}
	key := op + "\x00" + string(doc)
	s.mu.Lock()
	defer s.mu.Unlock()
	if ref, ok := s.loaded[key]; ok {
		return ref, nil
	}
	resp, err := s.Do(ctx, op, doc)
	var ae *api.Error
	if errors.As(err, &ae) && ae.Code == api.ErrUnknownOp {
		return doc, nil
	}
	if err != nil {
		return nil, err
	}
	var r struct {
		Handle *int `json:"handle"`
	}
	if err := json.Unmarshal(resp, &r); err != nil || r.Handle == nil || *r.Handle < 0 {
		return nil, fmt.Errorf("%s answered without a handle", op)
	}
	ref := json.RawMessage(strconv.AppendInt(nil, int64(*r.Handle), 10))
	if s.loaded == nil {
		s.loaded = map[string]json.RawMessage{}
	}
	s.loaded[key] = ref
	return ref, nil
}

// Provision opens the engine, loads the policies and the tables into it
// once (requests then carry handles, not documents) and checks the
// configuration against it, so a bad policy fails the config load, not
// every request.
func (h *Handler) Provision(ctx caddy.Context) error {
	h.logger = ctx.Logger()
	if h.Engine == "" {
		h.Engine = "wasm"
	}
	if h.MaxBody == 0 {
		h.MaxBody = DefaultMaxBody
	}
	v, _, err := engines.LoadOrNew(h.Engine, func() (caddy.Destructor, error) {
		e, err := newEngine(context.Background(), h.Engine, host.Options{})
		if err != nil {
			return nil, err
		}
		return &sharedEngine{Engine: e}, nil
	})
	if err != nil {
		return fmt.Errorf("tollgate: engine %s: %w", h.Engine, err)
	}
	h.eng = v.(*sharedEngine)
	h.policyRef, h.tablesRef = h.Policy, h.Tables
	if !h.inline {
		if h.policyRef, err = h.eng.load(ctx, "policy.load", h.Policy); err != nil {
			return fmt.Errorf("tollgate: policy: %w", err)
		}
		if h.tablesRef, err = h.eng.load(ctx, "tables.load", h.Tables); err != nil {
			return fmt.Errorf("tollgate: tables: %w", err)
		}
	}
	for i := range h.Fields {
		f := &h.Fields[i]
		f.policyRef = f.Policy
		if len(f.Policy) > 0 && !h.inline {
			if f.policyRef, err = h.eng.load(ctx, "policy.load", f.Policy); err != nil {
				return fmt.Errorf("tollgate: field %q: policy: %w", f.Name, err)
			}
		}
		if f.Check == CheckPIN || f.Check == CheckPassword {
			// An empty candidate is refused, never an error: only a bad
			// policy makes this fail.
			req, _ := json.Marshal(map[string]any{"policy": h.policyOf(f), f.Check: ""})
			if _, err := h.eng.Do(ctx, f.Check, req); err != nil {
				return fmt.Errorf("tollgate: field %q: policy: %w", f.Name, err)
			}
		}
	}
	for i := range h.Fields {
		f := &h.Fields[i]
		if f.Check != CheckDial {
			continue
		}
		// An empty number is an answer (too_short); an unknown table,
		// class of service or feature is an error.
		if _, _, err := h.check(ctx, f, "", values{}); err != nil {
			return fmt.Errorf("tollgate: dial field %q: %w", f.Name, err)
		}
	}
	if len(h.Tables) > 0 {
		_, err := h.eng.Do(ctx, "lint", []byte(`{"tables":`+string(h.Tables)+`}`))
		var ae *api.Error
		if err != nil && !(errors.As(err, &ae) && ae.Code == api.ErrUnknownOp) {
			return fmt.Errorf("tollgate: tables: %w", err)
		}
	}
	return nil
}

// Cleanup releases this handler's use of the shared engine; the last user
// closes it.
func (h *Handler) Cleanup() error {
	if h.eng == nil {
		return nil
	}
	_, err := engines.Delete(h.Engine)
	return err
}

// Validate checks the configuration's shape.
func (h *Handler) Validate() error {
	if len(h.Fields) == 0 {
		return errors.New("tollgate: no fields to check")
	}
	if h.Engine != "wasm" && h.Engine != "native" {
		return fmt.Errorf("tollgate: engine %q: want wasm or native", h.Engine)
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

// policyOf is the policy reference a field's requests carry.
func (h *Handler) policyOf(f *Field) json.RawMessage {
	if len(f.policyRef) > 0 {
		return f.policyRef
	}
	if len(h.policyRef) > 0 {
		return h.policyRef
	}
	return nil
}

// refusal is one refused field in the 422 answer.
type refusal struct {
	Field   string          `json:"field"`
	Check   string          `json:"check"`
	Reasons json.RawMessage `json:"reasons"`
	// Dial is the whole dial answer (table, row, pattern) for a dial check.
	Dial json.RawMessage `json:"dial,omitempty"`
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
			return writeJSON(w, http.StatusRequestEntityTooLarge, apiError("too_large", "request body larger than "+strconv.FormatInt(h.MaxBody, 10)+" bytes", ""))
		}
		if len(body) == 0 {
			body = nil
		}
	}
	restore := func() {
		if hadBody {
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
	}

	vals, perr := parseValues(r, body, h.MaxBody)
	if perr != nil {
		return writeJSON(w, perr.status, apiError(perr.code, perr.msg, ""))
	}
	var refused []refusal
	for i := range h.Fields {
		f := &h.Fields[i]
		v, ok, err := vals.one(f.Name)
		if err != nil {
			return writeJSON(w, http.StatusBadRequest, apiError(api.ErrBadRequest, err.Error(), f.Name))
		}
		if !ok {
			continue // this request does not set the field
		}
		rf, status, err := h.check(r.Context(), f, v, vals)
		if err != nil {
			var ae *api.Error
			if errors.As(err, &ae) && status < 500 {
				return writeJSON(w, status, apiError(ae.Code, ae.Message, f.requestField(ae.Field)))
			}
			if status < 500 {
				return writeJSON(w, status, apiError(api.ErrBadRequest, err.Error(), f.Name))
			}
			h.logger.Error("tollgate check failed", zap.String("field", f.Name), zap.String("check", f.Check), zap.Error(err))
			return caddyhttp.Error(http.StatusInternalServerError, err)
		}
		if rf != nil {
			refused = append(refused, *rf)
		}
	}
	if len(refused) > 0 {
		h.logRefusal(r, refused)
		b, _ := json.Marshal(struct {
			Accepted bool      `json:"accepted"`
			Refused  []refusal `json:"refused"`
		}{false, refused})
		return writeJSON(w, http.StatusUnprocessableEntity, b)
	}
	restore()
	return next.ServeHTTP(w, r)
}

// logRefusal logs which fields were refused and the codes, never a value.
func (h *Handler) logRefusal(r *http.Request, refused []refusal) {
	for _, rf := range refused {
		var reasons []struct{ Code string }
		json.Unmarshal(rf.Reasons, &reasons)
		codes := make([]string, len(reasons))
		for i, x := range reasons {
			codes[i] = x.Code
		}
		h.logger.Info("tollgate refused a field", zap.String("field", rf.Field), zap.String("check", rf.Check),
			zap.Strings("codes", codes), zap.String("uri", r.URL.Path))
	}
}

// check runs one field's check; it returns a refusal, or nil when the
// value is accepted.
func (h *Handler) check(ctx context.Context, f *Field, v string, vals values) (*refusal, int, error) {
	var req any
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
	switch f.Check {
	case CheckPIN:
		c := api.PINContext{Year: time.Now().Year()}
		c.Extensions = list("extensions")
		c.FirstName = one("first_name")
		c.LastName = one("last_name")
		c.DateOfBirth = one("dob")
		c.Previous = list("previous")
		req = api.PINRequest{Policy: api.RawJSON(h.policyOf(f)), PIN: v, Context: c}
	case CheckPassword:
		var c api.PasswordContext
		c.Alias = one("alias")
		c.Extensions = list("extensions")
		c.Old = one("old")
		c.Previous = list("previous")
		req = api.PasswordRequest{Policy: api.RawJSON(h.policyOf(f)), Password: v, Context: c}
	case CheckDial:
		req = api.DialRequest{Tables: api.RawJSON(h.tablesRef), Table: f.Table, COS: f.Cos, Feature: f.Feature, Number: v}
	}
	if cerr != nil {
		return nil, http.StatusBadRequest, cerr
	}
	b, err := json.Marshal(req)
	if err != nil {
		return nil, 500, err
	}
	resp, err := h.eng.Do(ctx, f.Check, b)
	if err != nil {
		var ae *api.Error
		if errors.As(err, &ae) && ae.Code == api.ErrBadRequest {
			return nil, http.StatusBadRequest, err
		}
		return nil, http.StatusInternalServerError, err
	}
	if f.Check == CheckDial {
		var d struct {
			Allowed bool   `json:"allowed"`
			Reason  string `json:"reason"`
		}
		if err := json.Unmarshal(resp, &d); err != nil {
			return nil, 500, err
		}
		if d.Allowed {
			return nil, 200, nil
		}
		code := d.Reason
		if code == "matched" || code == "" {
			code = "blocked"
		}
		reasons, _ := json.Marshal([]map[string]string{{"code": code, "message": dialMessage(code)}})
		return &refusal{Field: f.Name, Check: f.Check, Reasons: reasons, Dial: resp}, 200, nil
	}
	var verdict struct {
		Accepted bool            `json:"accepted"`
		Reasons  json.RawMessage `json:"reasons"`
	}
	if err := json.Unmarshal(resp, &verdict); err != nil {
		return nil, 500, err
	}
	if verdict.Accepted {
		return nil, 200, nil
	}
	return &refusal{Field: f.Name, Check: f.Check, Reasons: verdict.Reasons}, 200, nil
}

func dialMessage(code string) string {
	switch code {
	case "blocked":
		return "This number is blocked by the restriction table."
	case "too_short":
		return "This number has too few digits."
	case "too_long":
		return "This number has too many digits."
	case "invalid":
		return "This is not a number that can be dialed."
	}
	return "This number may not be dialed."
}

func apiError(code, msg, field string) []byte {
	b, _ := json.Marshal(struct {
		Error api.Error `json:"error"`
	}{api.Error{Code: code, Message: msg, Field: field}})
	return b
}

func writeJSON(w http.ResponseWriter, status int, b []byte) error {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, err := w.Write(append(b, '\n'))
	return err
}

// readDocument turns a Caddyfile policy/tables argument into a document:
// a file's contents when it names a .json file, else a name.
func readDocument(v string) (json.RawMessage, error) {
	if strings.HasSuffix(v, ".json") {
		b, err := os.ReadFile(v)
		if err != nil {
			return nil, err
		}
		if !json.Valid(b) {
			return nil, fmt.Errorf("%s is not valid JSON", v)
		}
		return b, nil
	}
	return json.Marshal(v)
}

// Interface guards.
var (
	_ caddy.Provisioner           = (*Handler)(nil)
	_ caddy.CleanerUpper          = (*Handler)(nil)
	_ caddy.Validator             = (*Handler)(nil)
	_ caddyhttp.MiddlewareHandler = (*Handler)(nil)
)
