package server

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/tollgate/tollgate/api"
	"github.com/tollgate/tollgate/internal/jsonx"
	"github.com/tollgate/tollgate/internal/rfc3339"
)

// Error codes the service adds to the api's (api.ErrBadRequest, ...). An
// error answer is an *api.Error with one of these codes, in the api's
// error object: {"error": {"code", "message", "field"}}.
const (
	ErrUnauthorized   api.ErrorCode = "unauthorized"
	ErrTooLarge       api.ErrorCode = "too_large"
	ErrTimeout        api.ErrorCode = "timeout"
	ErrMethod         api.ErrorCode = "method_not_allowed"
	ErrMediaType      api.ErrorCode = "unsupported_media_type"
	ErrNotFound       api.ErrorCode = "not_found"
	ErrUnavailable    api.ErrorCode = "unavailable"
	ErrNotImplemented api.ErrorCode = "not_implemented"
	ErrStoreFullCode  api.ErrorCode = "store_full"
	// ErrStoreUnavailable: the sign-in store could not answer; no sign-in
	// is decided without the state (fail closed).
	ErrStoreUnavailable api.ErrorCode = "store_unavailable"
	ErrUnknownCaller    api.ErrorCode = "unknown_caller"
	// ErrDeadline: the operation's deadline (Config.OpTimeout) passed and
	// the engine stopped the work.
	ErrDeadline api.ErrorCode = "deadline_exceeded"
	// ErrForbidden: an administrator's sign-in event (unlock, activate,
	// require_change, a change by an administrator) without the
	// administrator token.
	ErrForbidden api.ErrorCode = "forbidden"
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
	// run decodes the body into the operation's typed request, completes
	// it, runs it and appends the typed answer's JSON to out.
	run func(s *Server, ctx context.Context, body []byte, l *reqLog, out []byte) ([]byte, *failure)
}

var opRoutes = []route{
	{"/v1/pin", "pin", (*Server).runPIN},
	{"/v1/password", "password", (*Server).runPassword},
	{"/v1/dial", "dial", (*Server).runDial},
	{"/v1/hash/verify", "hash.verify", (*Server).runVerifyHash},
	{"/v1/lint", "lint", (*Server).runLint},
}

// Routes lists the service's paths as docs/openapi.yaml names them.
func Routes() []string {
	out := make([]string, 0, len(opRoutes)+7)
	for _, rt := range opRoutes {
		out = append(out, rt.pattern)
	}
	return append(out, signinRoute, srsvListRoute, srsvBranchRoute, srsvRedeemRoute, "/healthz", "/readyz", "/metrics")
}

var healthzBody = []byte(`{"status":"ok"}`)

func (s *Server) routes() {
	s.mux = http.NewServeMux()
	for i := range opRoutes {
		rt := &opRoutes[i]
		s.mux.Handle(rt.pattern, s.wrap(rt.pattern, true, func(w http.ResponseWriter, r *http.Request, l *reqLog) int {
			return s.serveOp(w, r, rt, l)
		}))
	}
	s.mux.Handle(signinRoute, s.wrap(signinRoute, true, s.serveSignin))
	s.mux.Handle("/healthz", s.wrap("/healthz", false, func(w http.ResponseWriter, r *http.Request, l *reqLog) int {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			return writeError(w, http.StatusMethodNotAllowed, &api.Error{Code: ErrMethod, Message: "use GET"}, "GET, HEAD")
		}
		h := w.Header()
		h["Content-Type"] = jsonTypeHeader
		h["Cache-Control"] = noStoreHeader
		w.Write(healthzBody)
		return http.StatusOK
	}))
	s.mux.Handle("/readyz", s.wrap("/readyz", false, s.serveReady))
	s.srsvRoutes()
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
	errCode  api.ErrorCode
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
	obs := s.metrics.route(pattern)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		s.metrics.inFlight.Add(1)
		defer s.metrics.inFlight.Add(-1)

		id := r.Header.Get("X-Request-Id")
		if id == "" || len(id) > maxRequestIDBytes || !printable(id) {
			id = strconv.FormatUint(s.reqID.Add(1), 10)
		}
		w.Header()["X-Request-Id"] = []string{id}

		l := reqLog{start: start}
		var status int
		if auth && !s.authorized(r) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="tollgate"`)
			status = writeError(w, http.StatusUnauthorized, &api.Error{Code: ErrUnauthorized, Message: "missing or wrong bearer token"}, "")
		} else {
			status = h(w, r, &l)
		}
		d := time.Since(start)
		obs.observe(status, d)

		level := slog.LevelInfo
		if status >= 500 {
			level = slog.LevelError
		} else if status >= 400 {
			level = slog.LevelWarn
		}
		if !s.log.Enabled(r.Context(), level) {
			return
		}
		// A record of our own, without the caller's program counter: the
		// handler's source line says nothing, and finding it walks the
		// stack on every request.
		rec := slog.NewRecord(time.Now(), level, "request", 0)
		var buf [13]slog.Attr
		attrs := append(buf[:0],
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
			attrs = append(attrs, slog.String("error", string(l.errCode)))
		}
		if l.field != "" {
			attrs = append(attrs, slog.String("field", l.field))
		}
		rec.AddAttrs(attrs...)
		_ = s.log.Handler().Handle(r.Context(), rec)
	})
}

// failure is an error answer: its status and the error object.
type failure struct {
	status int
	err    *api.Error
}

// badRequest is the failure of a request the decoder refused.
func badRequest(e *api.Error) *failure { return &failure{http.StatusBadRequest, e} }

// serveOp answers one POST route: read the body, decode it once into the
// typed request, fill in the service's defaults, run the typed
// operation, encode the typed answer once.
func (s *Server) serveOp(w http.ResponseWriter, r *http.Request, rt *route, l *reqLog) int {
	l.op = rt.op
	body, status := s.readBody(w, r, l)
	if status != 0 {
		return status
	}
	ctx, cancel := s.opContext(r, l)
	defer cancel()
	buf := getBuffer()
	defer putBuffer(buf)
	out, f := rt.run(s, ctx, body, l, buf.b[:0])
	if f != nil {
		return s.fail(w, f.status, f.err, l)
	}
	buf.b = out
	return writeJSON(w, http.StatusOK, out)
}

func (s *Server) runPIN(ctx context.Context, body []byte, l *reqLog, out []byte) ([]byte, *failure) {
	var req api.PINRequest
	if err := api.Decode(body, &req); err != nil {
		return nil, badRequest(asError(err))
	}
	if req.Policy.IsZero() {
		req.Policy = s.policy
	}
	v, err := s.cfg.Engine.CheckPIN(ctx, &req)
	if err != nil {
		return nil, s.opFailure(ctx, "pin", err, l)
	}
	s.countVerdict("pin", &v, l)
	return api.Append(out, &v), nil
}

func (s *Server) runPassword(ctx context.Context, body []byte, l *reqLog, out []byte) ([]byte, *failure) {
	var req api.PasswordRequest
	if err := api.Decode(body, &req); err != nil {
		return nil, badRequest(asError(err))
	}
	if req.Policy.IsZero() {
		req.Policy = s.policy
	}
	v, err := s.cfg.Engine.CheckPassword(ctx, &req)
	if err != nil {
		return nil, s.opFailure(ctx, "password", err, l)
	}
	s.countVerdict("password", &v, l)
	return api.Append(out, &v), nil
}

// runDial answers a dial, turning its caller (an extension) into the
// caller's class of service through the Directory, so a PBX can ask "may
// extension 2001 dial this?" without knowing classes of service.
func (s *Server) runDial(ctx context.Context, body []byte, l *reqLog, out []byte) ([]byte, *failure) {
	var req dialRequest
	if e := req.decode(body); e != nil {
		return nil, badRequest(e)
	}
	if req.hasCaller {
		if s.cfg.Directory == nil {
			return nil, badRequest(&api.Error{Code: api.ErrBadRequest, Field: "caller", Message: "this service has no users directory (serve --users): name a cos or table instead"})
		}
		if req.COS != "" {
			return nil, badRequest(&api.Error{Code: api.ErrBadRequest, Field: "caller", Message: "give caller or cos, not both"})
		}
		cos, found := s.cfg.Directory.ClassOfService(req.caller)
		if !found {
			return nil, badRequest(&api.Error{Code: ErrUnknownCaller, Field: "caller", Message: "no class of service for this caller in the users directory"})
		}
		req.COS = cos
	}
	if req.Tables.IsZero() {
		req.Tables = s.tables
	}
	d, err := s.cfg.Engine.Dial(ctx, &req.DialRequest)
	if err != nil {
		return nil, s.opFailure(ctx, "dial", err, l)
	}
	if d.Allowed && s.velocity != nil {
		if f := s.admitCall(ctx, &d, req.caller, req.hasCaller, l); f != nil {
			return nil, f
		}
	}
	s.countDial(&d, l)
	return api.Append(out, &d), nil
}

func (s *Server) runVerifyHash(ctx context.Context, body []byte, l *reqLog, out []byte) ([]byte, *failure) {
	var req api.HashVerifyRequest
	if err := api.Decode(body, &req); err != nil {
		return nil, badRequest(asError(err))
	}
	// The policy's hash.iterations is the count of the records it
	// advises (issue 14 item 22).
	if req.Policy.IsZero() {
		req.Policy = s.policy
	}
	h, err := s.cfg.Engine.VerifyHash(ctx, &req)
	if err != nil {
		return nil, s.opFailure(ctx, "hash.verify", err, l)
	}
	l.outcome = outcome(h.Verified, "verified", "not_verified")
	s.count("hash.verify", string(h.Reason), l)
	return api.Append(out, &h), nil
}

func (s *Server) runLint(ctx context.Context, body []byte, l *reqLog, out []byte) ([]byte, *failure) {
	var req api.LintRequest
	if err := api.Decode(body, &req); err != nil {
		return nil, badRequest(asError(err))
	}
	if req.Tables.IsZero() {
		req.Tables = s.tables
	}
	res, err := s.cfg.Engine.Lint(ctx, &req)
	if err != nil {
		return nil, s.opFailure(ctx, "lint", err, l)
	}
	l.outcome = outcome(len(res.Findings) == 0, "clean", "findings")
	for i := range res.Findings {
		s.count("lint", res.Findings[i].Code, l)
	}
	if len(res.Findings) == 0 {
		s.count("lint", "clean", l)
	}
	return api.Append(out, &res), nil
}

// readBody reads the body of a POST request within the size and time
// limits and checks that it is a JSON object (what is inside, the
// request's decoder reads); it returns the body, or writes the error and
// returns its status.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request, l *reqLog) ([]byte, int) {
	if r.Method != http.MethodPost {
		return nil, s.fail(w, http.StatusMethodNotAllowed, &api.Error{Code: ErrMethod, Message: "use POST with a JSON body"}, l, http.MethodPost)
	}
	// JSON only, and said so: a browser cannot send application/json
	// across origins without a CORS preflight, which this service never
	// grants, so a web page cannot drive it (form posts, no-cors fetch).
	if !isJSON(r.Header.Get("Content-Type")) {
		return nil, s.fail(w, http.StatusUnsupportedMediaType, &api.Error{Code: ErrMediaType, Message: "Content-Type must be application/json"}, l)
	}
	if r.ContentLength > s.cfg.MaxBodyBytes {
		return nil, s.fail(w, http.StatusRequestEntityTooLarge, tooLarge(s.cfg.MaxBodyBytes), l)
	}
	// The body must arrive within BodyTimeout of the handler starting.
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Now().Add(s.cfg.BodyTimeout))
	body, err := readAll(http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes), r.ContentLength)
	if err != nil {
		var mbe *http.MaxBytesError
		var ne net.Error
		switch {
		case errors.As(err, &mbe):
			return nil, s.fail(w, http.StatusRequestEntityTooLarge, tooLarge(s.cfg.MaxBodyBytes), l)
		case errors.Is(err, os.ErrDeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()):
			return nil, s.fail(w, http.StatusRequestTimeout, &api.Error{Code: ErrTimeout,
				Message: "request body not received within " + s.cfg.BodyTimeout.String()}, l)
		default:
			return nil, s.fail(w, http.StatusBadRequest, &api.Error{Code: api.ErrBadRequest, Message: "reading the request body: " + err.Error()}, l)
		}
	}
	switch k := jsonx.NewDecoder(body).Kind(); k {
	case jsonx.Object, jsonx.Invalid: // Invalid: the decoder names the syntax error
		if k == jsonx.Invalid && isSpace(body) {
			return nil, s.fail(w, http.StatusBadRequest, &api.Error{Code: api.ErrBadRequest, Message: "empty request body: send a JSON object"}, l)
		}
	default:
		return nil, s.fail(w, http.StatusBadRequest, &api.Error{Code: api.ErrBadRequest, Message: "the request body must be a JSON object, not " + k.String()}, l)
	}
	return body, 0
}

// isJSON reports whether a Content-Type is JSON: application/json or a
// +json type, with any parameters.
func isJSON(ct string) bool {
	if ct == jsonType {
		return true // the common case, without parsing
	}
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && (mt == jsonType || strings.HasSuffix(mt, "+json"))
}

// preallocMax bounds the buffer readAll makes before the body has
// arrived: a client that declares a megabyte and sends nothing must not
// make the service hold a megabyte for each of its connections.
const preallocMax = 64 << 10

// readAll reads a body whose length may be known: into one buffer of that
// size when it is small, else as io.ReadAll does, growing with what
// arrives.
func readAll(r io.Reader, n int64) ([]byte, error) {
	if n <= 0 || n > preallocMax {
		return io.ReadAll(r)
	}
	b := make([]byte, n, n+1) // +1: room to see that nothing follows
	if _, err := io.ReadFull(r, b); err != nil {
		if err == io.ErrUnexpectedEOF {
			err = io.EOF
		}
		return nil, err
	}
	// net/http stops a body at its Content-Length; this reads its end.
	if m, err := r.Read(b[n : n+1]); m > 0 || (err != nil && err != io.EOF) {
		if err == nil {
			err = errors.New("body longer than its Content-Length")
		}
		return nil, err
	}
	return b, nil
}

func isSpace(b []byte) bool {
	for _, c := range b {
		if c != ' ' && c != '\t' && c != '\n' && c != '\r' {
			return false
		}
	}
	return true
}

func tooLarge(max int64) *api.Error {
	return &api.Error{Code: ErrTooLarge, Message: "request body larger than " + strconv.FormatInt(max, 10) + " bytes"}
}

// opFailure maps an operation's error to its answer: the api's error with
// the status its code calls for, 503 for a call its deadline stopped or
// its client abandoned, 500 for an engine fault.
func (s *Server) opFailure(ctx context.Context, op string, err error, l *reqLog) *failure {
	var ae *api.Error
	isAPI := errors.As(err, &ae)
	if (isAPI && ae.Code == api.ErrInterrupted) || errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, context.Canceled) || ctx.Err() != nil {
		return &failure{http.StatusServiceUnavailable, s.deadlineError(op, ctx, l)}
	}
	if isAPI {
		return &failure{statusOf(ae.Code), ae}
	}
	// The engine's message names the operation and the failure only (a
	// tollgate.Fault never carries the runtime's error or a wasm stack
	// trace).
	return &failure{http.StatusInternalServerError, &api.Error{Code: api.ErrInternal, Message: "engine: " + err.Error()}}
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
func statusOf(code api.ErrorCode) int {
	switch code {
	case api.ErrBadRequest, api.ErrInvalidPolicy, api.ErrInvalidTables, ErrUnknownCaller:
		return http.StatusBadRequest
	case api.ErrUnknownOp, ErrNotImplemented:
		// The route exists but this engine lacks the operation.
		return http.StatusNotImplemented
	case ErrUnavailable, ErrStoreFullCode, ErrStoreUnavailable, ErrDeadline, api.ErrInterrupted:
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

// writeError writes the api's error object for e.
func writeError(w http.ResponseWriter, status int, e *api.Error, allow string) int {
	if allow != "" {
		w.Header().Set("Allow", allow)
	}
	buf := getBuffer()
	defer putBuffer(buf)
	buf.b = api.AppendError(buf.b[:0], e)
	return writeJSON(w, status, buf.b)
}

// Header values every answer shares, set without a copy per request
// (net/http only reads them).
var (
	jsonTypeHeader = []string{jsonType}
	noStoreHeader  = []string{"no-store"}
	nosniffHeader  = []string{"nosniff"}
)

// writeJSON writes a JSON answer and a newline.
func writeJSON(w http.ResponseWriter, status int, body []byte) int {
	body = append(body, '\n')
	h := w.Header()
	h["Content-Type"] = jsonTypeHeader
	h["Cache-Control"] = noStoreHeader
	h["X-Content-Type-Options"] = nosniffHeader
	h["Content-Length"] = []string{strconv.Itoa(len(body))}
	w.WriteHeader(status)
	w.Write(body)
	return status
}

// buffer is a pooled answer buffer.
type buffer struct{ b []byte }

var buffers = sync.Pool{New: func() any { return &buffer{b: make([]byte, 0, 1024)} }}

func getBuffer() *buffer { return buffers.Get().(*buffer) }

// putBuffer returns b to the pool, unless an answer made it large.
func putBuffer(b *buffer) {
	if cap(b.b) <= 64<<10 {
		buffers.Put(b)
	}
}

// countVerdict records a PIN or password verdict's codes in the metrics
// and the log.
func (s *Server) countVerdict(op string, v *api.Verdict, l *reqLog) {
	l.outcome = outcome(v.Accepted, "accepted", "refused")
	if v.Accepted {
		s.count(op, "accepted", l)
	}
	for i := range v.Reasons {
		s.count(op, string(v.Reasons[i].Code), l)
	}
}

// countDial records a dial result's code: allowed, blocked (a row or the
// table's no-match verdict decided) or its reason.
func (s *Server) countDial(d *api.DialResult, l *reqLog) {
	l.outcome = outcome(d.Allowed, "allowed", "blocked")
	switch {
	case d.Allowed:
		s.count("dial", "allowed", l)
	case d.Reason == api.DialMatched || d.Reason == "":
		s.count("dial", "blocked", l)
	default:
		s.count("dial", string(d.Reason), l)
	}
}

// count records one code of an answer.
func (s *Server) count(op, code string, l *reqLog) {
	if code == "" {
		return
	}
	s.metrics.verdict(op, code)
	l.codes = append(l.codes, code)
}

func outcome(ok bool, yes, no string) string {
	if ok {
		return yes
	}
	return no
}

// serveSignin applies one sign-in event to a user's stored state: the
// body decoded once (signinRequest), the event stamped with the service's
// clock, the stored state put in, the typed operation run inside the
// store's atomic update, the typed answer encoded once.
func (s *Server) serveSignin(w http.ResponseWriter, r *http.Request, l *reqLog) int {
	l.op = "signin"
	user := r.PathValue("user")
	if user == "" || len(user) > maxUserBytes || !utf8.ValidString(user) || !printable(user) {
		return s.fail(w, http.StatusBadRequest, &api.Error{Code: api.ErrBadRequest, Field: "user",
			Message: "the user in the path must be 1 to " + strconv.Itoa(maxUserBytes) + " printable bytes"}, l)
	}
	l.user = user
	body, status := s.readBody(w, r, l)
	if status != 0 {
		return status
	}
	var req signinRequest
	if e := req.decode(body); e != nil {
		return s.fail(w, http.StatusBadRequest, e, l)
	}
	admin, e := s.stampEvent(&req)
	if e != nil {
		return s.fail(w, http.StatusBadRequest, e, l)
	}
	l.admin = admin
	if admin && !s.isAdmin(r) {
		return s.fail(w, http.StatusForbidden, s.forbidden(), l)
	}
	// The state is per user and per credential: PIN failures do not lock
	// the web password. Only the two kinds reach the store.
	kind := req.Kind
	switch kind {
	case "":
		kind = "pin"
	case "pin", "password":
	default:
		return s.fail(w, http.StatusBadRequest, &api.Error{Code: api.ErrBadRequest, Field: "kind", Message: `kind must be "pin" or "password"`}, l)
	}
	if req.Policy.IsZero() {
		req.Policy = s.policy
	}

	ctx, cancel := s.opContext(r, l)
	defer cancel()
	var res api.SignInResult
	err := s.cfg.Store.Update(ctx, Key{Kind: kind, User: user}, func(state *api.SignInState) (Entry, error) {
		call := req.SignInRequest
		if state != nil {
			call.State = *state
		}
		out, err := s.cfg.Engine.SignIn(ctx, &call)
		if err != nil {
			return Entry{}, &opError{err}
		}
		res = out
		return Entry{State: out.State, ForgetAt: s.forgetAt(req.Policy, kind, &out.State)}, nil
	})
	if err != nil {
		var oe *opError
		switch {
		case errors.As(err, &oe):
			f := s.opFailure(ctx, "signin", oe.err, l)
			return s.fail(w, f.status, f.err, l)
		case errors.Is(err, ErrStoreFull):
			return s.fail(w, http.StatusServiceUnavailable, &api.Error{Code: ErrStoreFullCode, Message: err.Error()}, l)
		default:
			// Fail closed: no decision without the state.
			s.log.Error("sign-in store", "error", err.Error())
			return s.fail(w, http.StatusServiceUnavailable, &api.Error{Code: ErrStoreUnavailable,
				Message: "the sign-in store did not answer; no sign-in is decided without it"}, l)
		}
	}
	l.outcome = res.Decision.Code
	s.count("signin", res.Decision.Code, l)
	buf := getBuffer()
	defer putBuffer(buf)
	buf.b = api.Append(buf.b[:0], &res)
	return writeJSON(w, http.StatusOK, buf.b)
}

// opError carries the operation's own error out of a Store's Update.
type opError struct{ err error }

func (e *opError) Error() string { return e.err.Error() }
func (e *opError) Unwrap() error { return e.err }

// forgetAt is when the store may drop the state the signin op answered:
// api.Session.ForgetAt under the request's policy, computed natively
// whatever the engine (the module need not carry it). The zero time keeps
// the state: when it must be kept, and when the policy is one the
// service cannot read natively (a handle other than its default's).
func (s *Server) forgetAt(p api.PolicyRef, kind string, state *api.SignInState) time.Time {
	if h, ok := p.Handle(); ok {
		if d, isDefault := s.policy.Handle(); !isDefault || d != h {
			return time.Time{}
		}
		p = s.cfg.Policy // the document or profile the default was loaded from
	}
	at, ok, err := s.forget.ForgetAt(p, kind, state)
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
var signinEvents = map[string]api.SignInEvent{
	"success": {Type: "signin", OK: true},
	"failure": {Type: "signin", OK: false},
	"unlock":  {Type: "unlock", By: "admin"},
	"signout": {Type: "signout"},
	"check":   {Type: "check"},
}

// adminEvents are the event types only an administrator may send; so is
// any event "by": "admin" (a change by an administrator unlocks).
var adminEvents = map[string]bool{"unlock": true, "activate": true, "require_change": true}

// stampEvent turns the request's shorthand word into its event, stamps
// the event with the service's clock, and says whether only an
// administrator may send it. The service's clock decides, not the
// client's: a client's at more than ClockSkew away from it is refused,
// and any other is replaced (a future at cleared lockouts, a past one
// kept failures out of the window, and one in 2099 locked an account for
// good).
func (s *Server) stampEvent(r *signinRequest) (admin bool, e *api.Error) {
	now := s.cfg.Now()
	if r.isWord {
		ev, ok := signinEvents[r.word]
		if !ok {
			return false, &api.Error{Code: api.ErrBadRequest, Field: "event", Message: "unknown event word; want success, failure, unlock, signout, check or an event object"}
		}
		r.Event = ev
	} else if r.Event.At != "" {
		if e := s.checkClock(r.Event.At, now); e != nil {
			return false, e
		}
	}
	r.Event.At = string(rfc3339.Append(nil, now))
	return adminEvents[r.Event.Type] || r.Event.By == "admin", nil
}

// checkClock refuses a client's event time that is not RFC 3339 or is
// further than ClockSkew from the service's clock.
func (s *Server) checkClock(at string, now time.Time) *api.Error {
	t, valid := rfc3339.Parse(at)
	if !valid {
		return &api.Error{Code: api.ErrBadRequest, Field: "event.at", Message: "want an RFC 3339 time such as 2026-01-05T09:00:00Z, or leave at out: the service stamps events with its own clock"}
	}
	if d := t.Sub(now).Abs(); d > s.cfg.ClockSkew {
		return &api.Error{Code: api.ErrBadRequest, Field: "event.at", Message: "more than " + s.cfg.ClockSkew.String() +
			" from the service's clock; leave at out: the service stamps events with its own clock"}
	}
	return nil
}

func printable(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return false
		}
	}
	return true
}
