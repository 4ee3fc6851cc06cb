package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tollgate/tollgate/api"
	"github.com/tollgate/tollgate/internal/rfc3339"
)

// Error codes the service adds to the api's (api.ErrBadRequest, ...).
const (
	ErrUnauthorized   = "unauthorized"
	ErrTooLarge       = "too_large"
	ErrTimeout        = "timeout"
	ErrMethod         = "method_not_allowed"
	ErrMediaType      = "unsupported_media_type"
	ErrNotFound       = "not_found"
	ErrUnavailable    = "unavailable"
	ErrNotImplemented = "not_implemented"
	ErrStoreFullCode  = "store_full"
	ErrUnknownCaller  = "unknown_caller"
	// ErrDeadline: the operation's deadline (Config.OpTimeout) passed and
	// the engine stopped the work.
	ErrDeadline = "deadline_exceeded"
	// ErrForbidden: an administrator's sign-in event (unlock, activate,
	// require_change, a change by an administrator) without the
	// administrator token.
	ErrForbidden = "forbidden"
)

const (
	maxUserBytes      = 256 // a user name in /v1/signin/{user}
	maxRequestIDBytes = 64  // an X-Request-Id echoed and logged
	signinRoute       = "/v1/signin/{user}"
	jsonType          = "application/json"
)

// route is one POST endpoint running one api operation.
type route struct {
	pattern string // for metrics and logs: never the raw path
	op      string
	// defaultKey is the request field that gets the configured default
	// document when the request leaves it out ("policy" or "tables").
	defaultKey string
}

var opRoutes = []route{
	{"/v1/pin", "pin", "policy"},
	{"/v1/password", "password", "policy"},
	{"/v1/dial", "dial", "tables"},
	{"/v1/hash/verify", "hash.verify", "policy"},
	{"/v1/lint", "lint", "tables"},
}

// Routes lists the service's paths as docs/openapi.yaml names them.
func Routes() []string {
	out := make([]string, 0, len(opRoutes)+3)
	for _, rt := range opRoutes {
		out = append(out, rt.pattern)
	}
	return append(out, signinRoute, "/healthz", "/metrics")
}

func (s *Server) routes() {
	s.mux = http.NewServeMux()
	for _, rt := range opRoutes {
		s.mux.Handle(rt.pattern, s.wrap(rt.pattern, true, func(w http.ResponseWriter, r *http.Request, l *reqLog) int {
			return s.serveOp(w, r, rt, l)
		}))
	}
	s.mux.Handle(signinRoute, s.wrap(signinRoute, true, s.serveSignin))
	s.mux.Handle("/healthz", s.wrap("/healthz", false, func(w http.ResponseWriter, r *http.Request, l *reqLog) int {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			return writeError(w, http.StatusMethodNotAllowed, &api.Error{Code: ErrMethod, Message: "use GET"}, "GET, HEAD")
		}
		w.Header().Set("Content-Type", jsonType)
		w.Header().Set("Cache-Control", "no-store")
		io.WriteString(w, `{"status":"ok"}`)
		return http.StatusOK
	}))
	s.mux.Handle("/metrics", s.wrap("/metrics", true, func(w http.ResponseWriter, r *http.Request, l *reqLog) int {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			return writeError(w, http.StatusMethodNotAllowed, &api.Error{Code: ErrMethod, Message: "use GET"}, "GET, HEAD")
		}
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		s.metrics.handler.ServeHTTP(sw, r)
		return sw.status
	}))
	s.mux.Handle("/", s.wrap("other", false, func(w http.ResponseWriter, r *http.Request, l *reqLog) int {
		return writeError(w, http.StatusNotFound, &api.Error{Code: ErrNotFound, Message: "no such endpoint; see docs/api.md"}, "")
	}))
}

// reqLog collects what the request's log record says. Nothing in it comes
// from the request body except reason codes and error codes.
type reqLog struct {
	start    time.Time // the handler's start, for the operation's deadline
	deadline time.Time // the operation's, once set
	op       string
	outcome  string
	codes    []string
	errCode  string
	field    string
	user     string
	admin    bool // a sign-in event only an administrator may send
}

// statusWriter keeps the status a wrapped handler (promhttp's) wrote, for
// the request's metrics and log record.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

type handlerFunc func(w http.ResponseWriter, r *http.Request, l *reqLog) int

// wrap adds what every route shares: the in-flight gauge, authorization,
// the request id, metrics and the log record.
func (s *Server) wrap(pattern string, auth bool, h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		s.metrics.inFlight.Add(1)
		defer s.metrics.inFlight.Add(-1)

		id := r.Header.Get("X-Request-Id")
		if id == "" || len(id) > maxRequestIDBytes || !printable(id) {
			id = strconv.FormatUint(s.reqID.Add(1), 10)
		}
		w.Header().Set("X-Request-Id", id)

		l := reqLog{start: start}
		var status int
		if auth && !s.authorized(r) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="tollgate"`)
			status = writeError(w, http.StatusUnauthorized, &api.Error{Code: ErrUnauthorized, Message: "missing or wrong bearer token"}, "")
		} else {
			status = h(w, r, &l)
		}
		d := time.Since(start)
		s.metrics.observe(pattern, status, d)

		level := slog.LevelInfo
		if status >= 500 {
			level = slog.LevelError
		} else if status >= 400 {
			level = slog.LevelWarn
		}
		attrs := make([]slog.Attr, 0, 12)
		attrs = append(attrs,
			slog.String("id", id),
			slog.String("method", r.Method),
			slog.String("route", pattern),
			slog.Int("status", status),
			slog.Duration("duration", d),
			slog.String("remote", r.RemoteAddr),
		)
		if l.op != "" {
			attrs = append(attrs, slog.String("op", l.op))
		}
		if l.user != "" {
			attrs = append(attrs, slog.String("user", l.user))
		}
		if l.admin {
			attrs = append(attrs, slog.Bool("admin_event", true))
		}
		if l.outcome != "" {
			attrs = append(attrs, slog.String("outcome", l.outcome))
		}
		if len(l.codes) > 0 {
			attrs = append(attrs, slog.Any("codes", l.codes))
		}
		if l.errCode != "" {
			attrs = append(attrs, slog.String("error", l.errCode))
		}
		if l.field != "" {
			attrs = append(attrs, slog.String("field", l.field))
		}
		s.log.LogAttrs(r.Context(), level, "request", attrs...)
	})
}

// serveOp answers one POST route: read, complete with defaults, run,
// answer. The body goes to the engine as sent, with the service's
// members spliced in (body.go).
func (s *Server) serveOp(w http.ResponseWriter, r *http.Request, rt route, l *reqLog) int {
	l.op = rt.op
	body, obj, status := s.readJSON(w, r, l)
	if status != 0 {
		return status
	}
	if obj.bad != nil {
		// Malformed inside, a key twice, data after it: nothing is
		// spliced into it, and the engine refuses it in the api's own
		// words, as every host does. A dial naming a caller, which only
		// the service knows, gets the service's own words.
		if rt.op == "dial" && bytes.Contains(body, []byte(`"caller"`)) {
			return s.fail(w, http.StatusBadRequest, obj.bad, l)
		}
		return s.refuse(w, r, rt.op, body, obj.bad, l)
	}
	var edits []edit
	if rt.op == "dial" {
		e, err := s.callerEdit(body, &obj)
		if err != nil {
			return s.fail(w, http.StatusBadRequest, err, l)
		}
		edits = append(edits, e...)
	}
	switch rt.defaultKey {
	case "policy":
		edits = append(edits, defaultEdit(body, &obj, "policy", s.policyRef)...)
	case "tables":
		edits = append(edits, defaultEdit(body, &obj, "tables", s.tablesRef)...)
	}
	body = splice(body, edits)
	ctx, cancel := s.opContext(r, l)
	defer cancel()
	resp, status := s.run(w, ctx, rt.op, body, l)
	if status != http.StatusOK {
		return status
	}
	s.countVerdict(rt.op, resp, l)
	return writeJSON(w, http.StatusOK, resp)
}

// readJSON reads the body of a POST request within the size and time
// limits and checks it is one JSON object, read strictly (each key once
// at every depth); it returns the body and its top-level members, or
// writes the error and returns its status.
func (s *Server) readJSON(w http.ResponseWriter, r *http.Request, l *reqLog) ([]byte, object, int) {
	if r.Method != http.MethodPost {
		return nil, object{}, s.fail(w, http.StatusMethodNotAllowed, &api.Error{Code: ErrMethod, Message: "use POST with a JSON body"}, l, http.MethodPost)
	}
	// JSON only, and said so: a browser cannot send application/json
	// across origins without a CORS preflight, which this service never
	// grants, so a web page cannot drive it (form posts, no-cors fetch).
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || (mt != jsonType && !strings.HasSuffix(mt, "+json")) {
		return nil, object{}, s.fail(w, http.StatusUnsupportedMediaType, &api.Error{Code: ErrMediaType, Message: "Content-Type must be application/json"}, l)
	}
	if r.ContentLength > s.cfg.MaxBodyBytes {
		return nil, object{}, s.fail(w, http.StatusRequestEntityTooLarge, tooLarge(s.cfg.MaxBodyBytes), l)
	}
	// The body must arrive within BodyTimeout of the handler starting.
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Now().Add(s.cfg.BodyTimeout))
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes))
	if err != nil {
		var mbe *http.MaxBytesError
		var ne net.Error
		switch {
		case errors.As(err, &mbe):
			return nil, object{}, s.fail(w, http.StatusRequestEntityTooLarge, tooLarge(s.cfg.MaxBodyBytes), l)
		case errors.Is(err, os.ErrDeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()):
			return nil, object{}, s.fail(w, http.StatusRequestTimeout, &api.Error{Code: ErrTimeout,
				Message: "request body not received within " + s.cfg.BodyTimeout.String()}, l)
		default:
			return nil, object{}, s.fail(w, http.StatusBadRequest, &api.Error{Code: api.ErrBadRequest, Message: "reading the request body: " + err.Error()}, l)
		}
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, object{}, s.fail(w, http.StatusBadRequest, &api.Error{Code: api.ErrBadRequest, Message: "empty request body: send a JSON object"}, l)
	}
	obj, e := readObject(body, "the request body")
	if e != nil && obj.open < 0 {
		return nil, object{}, s.fail(w, http.StatusBadRequest, e, l)
	}
	return body, obj, 0 // obj.bad: an object the api will refuse too
}

func tooLarge(max int64) *api.Error {
	return &api.Error{Code: ErrTooLarge, Message: "request body larger than " + strconv.FormatInt(max, 10) + " bytes"}
}

// refuse hands a body the service could not read strictly to the engine
// untouched, and answers the engine's refusal; should the engine take it
// (a module that reads less strictly), the service's own error stands.
func (s *Server) refuse(w http.ResponseWriter, r *http.Request, op string, body []byte, bad *api.Error, l *reqLog) int {
	resp, err := s.cfg.Engine.Do(r.Context(), op, body)
	if e := errorOf(resp, err); e != nil && e.Code == api.ErrBadRequest && bytes.HasPrefix(bytes.TrimSpace(resp), []byte(`{"error"`)) {
		l.errCode, l.field = e.Code, e.Field
		return writeJSON(w, http.StatusBadRequest, resp)
	}
	return s.fail(w, http.StatusBadRequest, bad, l)
}

// callerEdit turns a dial request's "caller" into its class of service
// through the Directory, so a PBX can ask "may extension 2001 dial this?"
// without knowing classes of service: the edit replaces the caller member
// with "cos".
func (s *Server) callerEdit(body []byte, o *object) ([]edit, *api.Error) {
	m, ok := o.get("caller")
	if !ok {
		return nil, nil
	}
	caller, ok := m.stringValue(body)
	if !ok {
		return nil, &api.Error{Code: api.ErrBadRequest, Field: "caller", Message: "wrong type: want string"}
	}
	if s.cfg.Directory == nil {
		return nil, &api.Error{Code: api.ErrBadRequest, Field: "caller", Message: "this service has no users directory (serve --users): name a cos or table instead"}
	}
	if _, has := o.get("cos"); has {
		return nil, &api.Error{Code: api.ErrBadRequest, Field: "caller", Message: "give caller or cos, not both"}
	}
	cos, found := s.cfg.Directory.ClassOfService(caller)
	if !found {
		return nil, &api.Error{Code: ErrUnknownCaller, Field: "caller", Message: "no class of service for this caller in the users directory"}
	}
	return []edit{replaceMember(m, "cos", api.AppendString(nil, cos))}, nil
}

// run calls the engine and maps an error answer to its HTTP status; on
// failure it has written the answer.
func (s *Server) run(w http.ResponseWriter, ctx context.Context, op string, body []byte, l *reqLog) ([]byte, int) {
	resp, err := s.cfg.Engine.Do(ctx, op, body)
	if e := errorOf(resp, err); e != nil {
		if e.Code == ErrDeadline || e.Code == api.ErrInterrupted {
			e = s.deadlineError(op, ctx, l)
			return nil, s.fail(w, http.StatusServiceUnavailable, e, l)
		}
		status := statusOf(e.Code)
		if len(resp) == 0 || !bytes.HasPrefix(bytes.TrimSpace(resp), []byte(`{"error"`)) {
			return nil, s.fail(w, status, e, l)
		}
		l.errCode, l.field = e.Code, e.Field
		return nil, writeJSON(w, status, resp)
	}
	return resp, http.StatusOK
}

// errorOf returns the error an engine's answer carries: the api error
// object in the response, else the Go error.
func errorOf(resp []byte, err error) *api.Error {
	if t := bytes.TrimSpace(resp); bytes.HasPrefix(t, []byte(`{"error"`)) {
		var w struct {
			Error *api.Error `json:"error"`
		}
		if json.Unmarshal(t, &w) == nil && w.Error != nil {
			return w.Error
		}
	}
	if err == nil {
		return nil
	}
	var ae *api.Error
	if errors.As(err, &ae) {
		return ae
	}
	// A deadline fault of package host unwraps to the context's error.
	if errors.Is(err, context.DeadlineExceeded) {
		return &api.Error{Code: ErrDeadline}
	}
	if errors.Is(err, context.Canceled) {
		return &api.Error{Code: ErrUnavailable, Message: "the operation was cancelled (the client went away, or the service is stopping)"}
	}
	// The engine's message names the operation and the failure only (a
	// host.Fault never carries the runtime's error or a wasm stack trace).
	return &api.Error{Code: api.ErrInternal, Message: "engine: " + err.Error()}
}

// deadlineError is the answer for an operation its deadline stopped, or
// that a cancelled request (a client that hung up) abandoned.
func (s *Server) deadlineError(op string, ctx context.Context, l *reqLog) *api.Error {
	if errors.Is(ctx.Err(), context.Canceled) {
		return &api.Error{Code: ErrUnavailable, Message: "the operation was cancelled (the client went away, or the service is stopping)"}
	}
	d := l.deadline.Sub(l.start).Round(time.Millisecond)
	return &api.Error{Code: ErrDeadline, Message: op + " did not finish within its deadline (" + d.String() +
		" after the request began) and was stopped; the work one request may ask for is capped (docs/security.md)"}
}

// statusOf maps an error code to an HTTP status: what the client sent is
// wrong → 4xx; what the service lacks → 5xx.
func statusOf(code string) int {
	switch code {
	case api.ErrBadRequest, api.ErrInvalidPolicy, api.ErrInvalidTables, ErrUnknownCaller:
		return http.StatusBadRequest
	case api.ErrUnknownOp, ErrNotImplemented:
		// The route exists but this build's engine lacks the operation.
		return http.StatusNotImplemented
	case ErrUnavailable, ErrStoreFullCode, ErrDeadline, api.ErrInterrupted:
		return http.StatusServiceUnavailable
	case api.ErrInternal:
		return http.StatusInternalServerError
	}
	return http.StatusBadRequest
}

// fail writes an error answer and notes it for the log.
func (s *Server) fail(w http.ResponseWriter, status int, e *api.Error, l *reqLog, allow ...string) int {
	l.errCode, l.field = e.Code, e.Field
	a := ""
	if len(allow) > 0 {
		a = allow[0]
	}
	return writeError(w, status, e, a)
}

func writeError(w http.ResponseWriter, status int, e *api.Error, allow string) int {
	if allow != "" {
		w.Header().Set("Allow", allow)
	}
	b, _ := json.Marshal(struct {
		Error *api.Error `json:"error"`
	}{e})
	return writeJSON(w, status, b)
}

func writeJSON(w http.ResponseWriter, status int, body []byte) int {
	h := w.Header()
	h.Set("Content-Type", jsonType)
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Length", strconv.Itoa(len(body)+1))
	w.WriteHeader(status)
	w.Write(body)
	w.Write([]byte{'\n'})
	return status
}

// answer is the part of any operation's response the metrics and logs
// read: outcomes and codes, never an input.
type answer struct {
	Accepted *bool `json:"accepted"`
	Reasons  []struct {
		Code string `json:"code"`
	} `json:"reasons"`
	Allowed  *bool  `json:"allowed"`
	Verified *bool  `json:"verified"`
	Reason   string `json:"reason"`
	Findings []struct {
		Code string `json:"code"`
	} `json:"findings"`
	Decision json.RawMessage `json:"decision"`
}

// countVerdict records an answer's codes in the metrics and the log.
func (s *Server) countVerdict(op string, resp []byte, l *reqLog) {
	var a answer
	if json.Unmarshal(resp, &a) != nil {
		return
	}
	add := func(code string) {
		if code == "" {
			return
		}
		s.metrics.verdict(op, code)
		l.codes = append(l.codes, code)
	}
	switch {
	case a.Accepted != nil:
		l.outcome = outcome(*a.Accepted, "accepted", "refused")
		if *a.Accepted {
			add("accepted")
		}
		for _, r := range a.Reasons {
			add(r.Code)
		}
	case a.Allowed != nil:
		l.outcome = outcome(*a.Allowed, "allowed", "blocked")
		switch {
		case *a.Allowed:
			add("allowed")
		case a.Reason == "matched" || a.Reason == "":
			add("blocked")
		default:
			add(a.Reason)
		}
	case a.Verified != nil:
		l.outcome = outcome(*a.Verified, "verified", "not_verified")
		add(a.Reason)
	case a.Findings != nil:
		l.outcome = outcome(len(a.Findings) == 0, "clean", "findings")
		for _, f := range a.Findings {
			add(f.Code)
		}
		if len(a.Findings) == 0 {
			add("clean")
		}
	case a.Decision != nil:
		d := decisionCode(a.Decision)
		l.outcome = d
		add(d)
	}
}

func outcome(ok bool, yes, no string) string {
	if ok {
		return yes
	}
	return no
}

// decisionCode names a sign-in decision: the decision itself when it is a
// string, else its "code", "action" or "outcome" member.
func decisionCode(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil {
		return ""
	}
	for _, k := range []string{"code", "action", "outcome"} {
		if json.Unmarshal(m[k], &s) == nil && s != "" {
			return s
		}
	}
	return ""
}

// serveSignin applies one sign-in event to a user's stored state. The
// client's body goes to the engine as sent, with the service's members
// spliced in: the stored state, the default policy, and the event's time
// from the service's own clock.
func (s *Server) serveSignin(w http.ResponseWriter, r *http.Request, l *reqLog) int {
	l.op = "signin"
	user := r.PathValue("user")
	if user == "" || len(user) > maxUserBytes || !utf8.ValidString(user) || !printable(user) {
		return s.fail(w, http.StatusBadRequest, &api.Error{Code: api.ErrBadRequest, Field: "user",
			Message: "the user in the path must be 1 to " + strconv.Itoa(maxUserBytes) + " printable bytes"}, l)
	}
	l.user = user
	body, obj, status := s.readJSON(w, r, l)
	if status != 0 {
		return status
	}
	if obj.bad != nil {
		return s.fail(w, http.StatusBadRequest, obj.bad, l)
	}
	if _, has := obj.get("state"); has {
		return s.fail(w, http.StatusBadRequest, &api.Error{Code: api.ErrBadRequest, Field: "state",
			Message: "the service keeps the sign-in state; leave state out"}, l)
	}
	ev, e := s.signinEvent(body, &obj)
	if e != nil {
		return s.fail(w, http.StatusBadRequest, e, l)
	}
	if ev.admin && !s.isAdmin(r) {
		l.admin = true
		return s.fail(w, http.StatusForbidden, s.forbidden(), l)
	}
	l.admin = ev.admin
	edits := append(defaultEdit(body, &obj, "policy", s.policyRef), ev.edit)
	// The state is per user and per credential: PIN failures do not lock
	// the web password. The signin op checks the kind's value.
	kind := "pin"
	if m, ok := obj.get("kind"); ok {
		if k, ok := m.stringValue(body); ok {
			kind = k
		}
	}
	key := kind + "\x00" + user

	var resp []byte
	status = http.StatusOK
	ctx, cancel := s.opContext(r, l)
	defer cancel()
	err := s.cfg.Store.Update(ctx, key, func(state []byte) (Entry, error) {
		es := edits
		if state != nil {
			es = append(append([]edit(nil), edits...), obj.insert("state", state))
		}
		out, st := s.run(w, ctx, "signin", splice(body, es), l)
		if st != http.StatusOK {
			status = st
			return Entry{}, errAnswered
		}
		var a struct {
			State json.RawMessage `json:"state"`
		}
		if e := json.Unmarshal(out, &a); e != nil || len(a.State) == 0 {
			return Entry{}, errors.New("the signin operation returned no state")
		}
		resp = out
		return Entry{State: a.State, ForgetAt: s.forgetAt(body, &obj, kind, a.State)}, nil
	})
	switch {
	case errors.Is(err, errAnswered):
		return status
	case errors.Is(err, ErrStoreFull):
		return s.fail(w, http.StatusServiceUnavailable, &api.Error{Code: ErrStoreFullCode, Message: err.Error()}, l)
	case err != nil:
		return s.fail(w, http.StatusInternalServerError, &api.Error{Code: api.ErrInternal, Message: err.Error()}, l)
	}
	s.countVerdict("signin", resp, l)
	return writeJSON(w, http.StatusOK, resp)
}

// forgetAt is when the store may drop the state the signin op answered:
// core's SignInState.ForgetAt under the request's policy, computed here,
// natively (the module need not carry it). The zero time keeps the state:
// when it must be kept, and when the policy is one the service cannot
// read natively (a handle other than its default's).
func (s *Server) forgetAt(body []byte, o *object, kind string, state []byte) time.Time {
	isHandle := func(b []byte) bool { return len(b) > 0 && b[0] >= '0' && b[0] <= '9' }
	def := bytes.TrimSpace(s.cfg.Policy)
	ref := def // nil: the api's default profile
	if m, ok := o.get("policy"); ok && !m.isNull(body) {
		ref = bytes.TrimSpace(body[m.val:m.end])
		if isHandle(ref) && bytes.Equal(ref, s.policyRef) {
			ref = def // the default's handle: its document
		}
	}
	if isHandle(ref) {
		return time.Time{}
	}
	s.nativeMu.Lock()
	at, ok, err := s.native.ForgetAt(ref, kind, state)
	s.nativeMu.Unlock()
	if err != nil || !ok {
		return time.Time{}
	}
	if now := s.cfg.Now(); at.Before(now) {
		return now // forgettable at once
	}
	return at
}

// signinEvents are the shorthand events of /v1/signin/{user}: the words
// a PBX or portal has at hand, as signin op events (the service adds at).
var signinEvents = map[string]string{
	"success": `{"type":"signin","ok":true`,
	"failure": `{"type":"signin","ok":false`,
	"unlock":  `{"type":"unlock","by":"admin"`,
	"signout": `{"type":"signout"`,
	"check":   `{"type":"check"`,
}

// adminEvents are the event types only an administrator may send; so is
// any event "by": "admin" (a change by an administrator unlocks).
var adminEvents = map[string]bool{"unlock": true, "activate": true, "require_change": true}

// event is what signinEvent found: the edit that puts the event, with the
// service's time, into the request, and whether it is an administrator's.
type event struct {
	edit  edit
	admin bool
}

// signinEvent reads the request's event — a shorthand word or a signin op
// event object — and returns the edit that stamps it with the service's
// clock. The service's clock decides, not the client's: a client's at
// more than ClockSkew away from it is refused, and any other is replaced
// (a future at cleared lockouts, a past one kept failures out of the
// window, and one in 2099 locked an account for good).
func (s *Server) signinEvent(body []byte, o *object) (event, *api.Error) {
	m, ok := o.get("event")
	if !ok || m.isNull(body) {
		return event{}, &api.Error{Code: api.ErrBadRequest, Field: "event", Message: "event is required: success, failure, unlock, signout, check or an event object"}
	}
	now := s.cfg.Now()
	at := api.AppendString(nil, now.UTC().Format(time.RFC3339Nano))
	if word, ok := m.stringValue(body); ok {
		ev, ok := signinEvents[word]
		if !ok {
			return event{}, &api.Error{Code: api.ErrBadRequest, Field: "event", Message: "unknown event word; want success, failure, unlock, signout, check or an event object"}
		}
		text := append([]byte(ev+`,"at":`), at...)
		return event{edit: edit{at: m.val, end: m.end, text: append(text, '}')}, admin: word == "unlock"}, nil
	}
	raw := body[m.val:m.end]
	eo, e := readObject(raw, "event")
	if e != nil {
		if e.Field == "" {
			e.Field = "event"
		} else {
			e.Field = "event." + e.Field
		}
		if !bytes.HasPrefix(raw, []byte("{")) {
			e.Message = "event must be a word or an object"
		}
		return event{}, e
	}
	var ev event
	if t, ok := eo.get("type"); ok {
		typ, _ := t.stringValue(raw)
		ev.admin = adminEvents[typ]
	}
	if b, ok := eo.get("by"); ok {
		by, _ := b.stringValue(raw)
		ev.admin = ev.admin || by == "admin"
	}
	if a, ok := eo.get("at"); ok && !a.isNull(raw) {
		if e := s.checkClock(raw, a, now); e != nil {
			return event{}, e
		}
	}
	ev.edit = eo.setMember("at", at)
	ev.edit.at += m.val
	ev.edit.end += m.val
	return ev, nil
}

// checkClock refuses a client's event time that is not RFC 3339 or is
// further than ClockSkew from the service's clock.
func (s *Server) checkClock(raw []byte, a member, now time.Time) *api.Error {
	v, ok := a.stringValue(raw)
	t, valid := rfc3339.Parse(v)
	if !ok || !valid {
		return &api.Error{Code: api.ErrBadRequest, Field: "event.at", Message: "want an RFC 3339 time such as 2026-01-05T09:00:00Z, or leave at out: the service stamps events with its own clock"}
	}
	if d := t.Sub(now).Abs(); d > s.cfg.ClockSkew {
		return &api.Error{Code: api.ErrBadRequest, Field: "event.at", Message: "more than " + s.cfg.ClockSkew.String() +
			" from the service's clock; leave at out: the service stamps events with its own clock"}
	}
	return nil
}

// errAnswered tells serveSignin that run already wrote the error answer.
var errAnswered = errors.New("answered")

func printable(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return false
		}
	}
	return true
}
