package server

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/tollgate/tollgate/api"
	"github.com/tollgate/tollgate/core/srsv"
)

// Defaults for the limits in Config.
const (
	// DefaultMaxBodyBytes bounds a request body. The largest legitimate
	// request is a lint of an inline tables document; 1 MiB holds
	// thousands of rows while keeping 64 concurrent requests within a
	// bounded amount of memory.
	DefaultMaxBodyBytes = 1 << 20
	// DefaultBodyTimeout is how long a client has to send its whole body
	// once the headers are in; a slower client gets 408 and does not hold
	// a connection (and a goroutine) for longer.
	DefaultBodyTimeout = 5 * time.Second
	// DefaultReadHeaderTimeout closes a connection whose headers do not
	// arrive in time (slowloris).
	DefaultReadHeaderTimeout = 5 * time.Second
	// DefaultWriteTimeout bounds the whole exchange after the headers:
	// body, operation and response (at least BodyTimeout + 10 s).
	DefaultWriteTimeout = 15 * time.Second
	// DefaultOpTimeout is each operation's deadline, from the moment its
	// body is read; it is cut shorter when the write timeout would pass
	// first (WriteTimeout less writeMargin from the request's start), so
	// the answer — 503 deadline_exceeded when the deadline stopped the
	// work — can always be written. The engine really stops the work: a
	// wasm instance is closed and replaced, a native session stops itself.
	DefaultOpTimeout = 10 * time.Second
	// DefaultIdleTimeout closes a kept-alive connection left unused.
	DefaultIdleTimeout = 60 * time.Second
	// DefaultShutdownTimeout is how long a graceful shutdown waits for
	// requests in progress.
	DefaultShutdownTimeout = 10 * time.Second
	// DefaultAddr is loopback: the service answers questions about
	// secrets, so it is reachable from elsewhere only when asked for.
	DefaultAddr = "127.0.0.1:8700"
)

// Config configures a Server. Engine is required; every other field has a
// default.
type Config struct {
	// Engine runs the operations: a *tollgate.Checker (either engine), an
	// *api.Session, or any api.Operations safe for concurrent use.
	Engine api.Operations

	// Policy is the policy of a request that names none (and of a
	// sign-in): a profile (api.Profile("cuc")), a document
	// (api.PolicyJSON(doc)) or the handle of a policy already loaded in
	// Engine. The zero value leaves the api's default (cuc).
	//
	// New loads a profile or a document once (Engine.LoadPolicy) and
	// puts its handle into the requests that name no policy, so a large
	// document is neither copied nor compiled per request. An engine that
	// lacks LoadPolicy (it answers api.ErrUnknownOp) gets the document
	// itself in every such request.
	Policy api.PolicyRef
	// Tables is the restriction-tables set of a dial or lint request that
	// names none: a built-in set (api.BuiltinTables("default")), a
	// document (api.TablesJSON(doc)) or a handle; loaded once like
	// Policy. The zero value leaves the api's default set.
	Tables api.TablesRef

	// Directory maps a dial request's "caller" (an extension) to a class
	// of service. Nil: a request with a caller is refused.
	Directory Directory

	// Store keeps sign-in state and the velocity counters; nil means a
	// new MemoryStore on Now. A store that is also a Pinger (a database:
	// redisstore.Store) is asked by /readyz whether it answers.
	Store Store

	// Velocity, when not nil, holds the calls the tables allow to
	// velocity limits (ParseVelocity, docs/tables.md "Velocity"): a call
	// over one is refused with reason "velocity". Store must count calls
	// (CallCounter).
	Velocity *Velocity

	// SRSV keeps the SRSV provisioning cycles the /v1/srsv routes issue,
	// list, revoke and redeem (core/srsv); nil means a new
	// srsv.MemoryStore, for one process. Replicas share one (redisstore's
	// SRSV), so that a token is redeemed once across all of them.
	SRSV srsv.Store
	// SRSVTTL is how long a provisioning token stays usable (0 means
	// srsv.DefaultTTL, an hour).
	SRSVTTL time.Duration
	// Random is where provisioning tokens come from; nil means
	// crypto/rand.Reader.
	Random io.Reader

	// Token, when not empty, is the bearer token every request except
	// /healthz must carry (Authorization: Bearer TOKEN).
	Token string
	// AdminToken is the administrator's credential, distinct from Token:
	// the sign-in events only an administrator may send (unlock,
	// activate, require_change, and any event "by": "admin") need
	// Authorization: Bearer ADMIN_TOKEN, which is also good for every
	// other request. Empty: those events are refused (403 forbidden).
	AdminToken string
	// ClockSkew is how far a sign-in event's own "at" may be from the
	// service's clock; the service stamps every event with its own time
	// and refuses one further off (0 means DefaultClockSkew; a negative
	// skew refuses every event that carries its own at).
	ClockSkew time.Duration

	MaxBodyBytes      int64
	BodyTimeout       time.Duration
	OpTimeout         time.Duration
	ReadHeaderTimeout time.Duration
	WriteTimeout      time.Duration
	IdleTimeout       time.Duration
	ShutdownTimeout   time.Duration

	// Logger receives one record per request; nil discards.
	Logger *slog.Logger

	// Now is the service's clock, which stamps every sign-in event (and
	// judges when the memory store may forget a state); nil is time.Now.
	Now func() time.Time
}

// DefaultClockSkew is Config.ClockSkew's default: a client that sends its
// own event times must keep its clock within a minute of the service's.
const DefaultClockSkew = time.Minute

// Directory resolves the caller of a dial request to its class of service
// (a users file: extension → class of service). It must be safe for
// concurrent use.
type Directory interface {
	ClassOfService(caller string) (cos string, ok bool)
}

// Server is the decision service. Handler gives its http.Handler; Serve
// runs it on a listener until its context ends.
type Server struct {
	cfg Config
	// policy and tables are what a request naming no policy or tables
	// gets: the handle of Config.Policy / Config.Tables once loaded, or
	// the reference itself when the engine cannot load it.
	policy         api.PolicyRef
	tables         api.TablesRef
	tokenH, adminH [sha256.Size]byte
	metrics        *metrics
	log            *slog.Logger
	mux            *http.ServeMux
	reqID          atomic.Uint64
	// forget resolves policies for ForgetAt, natively, whatever the
	// engine: no operation computes it.
	forget *api.Session
	srsv   *srsv.Manager
	// velocity is Config.Velocity compiled; nil without limits.
	velocity *velocityPlan
}

// Pinger is a Store (or srsv.Store) that can say whether it answers:
// /readyz asks it, so that a load balancer sends no sign-in to a replica
// whose store is gone.
type Pinger interface {
	Ping(ctx context.Context) error
}

// New checks cfg, loads its default policy and tables into the engine,
// and returns a Server.
func New(cfg Config) (*Server, error) {
	if cfg.Engine == nil {
		return nil, errors.New("server: Config.Engine is nil")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Store == nil {
		cfg.Store = &MemoryStore{Now: cfg.Now}
	}
	if cfg.SRSV == nil {
		cfg.SRSV = srsv.NewMemoryStore()
	}
	if cfg.Random == nil {
		cfg.Random = rand.Reader
	}
	setDefault(&cfg.ClockSkew, DefaultClockSkew)
	if cfg.AdminToken != "" && cfg.AdminToken == cfg.Token {
		return nil, errors.New("server: the administrator token must differ from the verdict token")
	}
	setDefault(&cfg.MaxBodyBytes, DefaultMaxBodyBytes)
	setDefault(&cfg.BodyTimeout, DefaultBodyTimeout)
	setDefault(&cfg.ReadHeaderTimeout, DefaultReadHeaderTimeout)
	// The 408 for a slow body must still be writable after the body
	// timeout, with time to spare for the operation.
	setDefault(&cfg.WriteTimeout, max(DefaultWriteTimeout, cfg.BodyTimeout+10*time.Second))
	setDefault(&cfg.OpTimeout, DefaultOpTimeout)
	setDefault(&cfg.IdleTimeout, DefaultIdleTimeout)
	setDefault(&cfg.ShutdownTimeout, DefaultShutdownTimeout)
	if cfg.MaxBodyBytes < 0 || cfg.BodyTimeout < 0 || cfg.WriteTimeout < 0 || cfg.OpTimeout < 0 {
		return nil, errors.New("server: limits must not be negative")
	}
	if cfg.WriteTimeout <= writeMargin {
		return nil, errors.New("server: WriteTimeout must be longer than " + writeMargin.String())
	}
	if cfg.WriteTimeout <= cfg.BodyTimeout {
		return nil, errors.New("server: WriteTimeout must be longer than BodyTimeout")
	}
	s := &Server{cfg: cfg, metrics: newMetrics(), log: cfg.Logger, forget: api.NewSession(),
		srsv: srsv.New(srsv.Options{Store: cfg.SRSV, TTL: cfg.SRSVTTL})}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if cfg.Velocity != nil {
		var err error
		if s.velocity, err = newVelocityPlan(cfg.Velocity, cfg.Store); err != nil {
			return nil, err
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), LoadTimeout)
	defer cancel()
	var err error
	if s.policy, err = loadPolicy(ctx, cfg.Engine, cfg.Policy); err != nil {
		return nil, err
	}
	if s.tables, err = loadTables(ctx, cfg.Engine, cfg.Tables); err != nil {
		return nil, err
	}
	if cfg.Token != "" {
		s.tokenH = sha256.Sum256([]byte(cfg.Token))
	}
	if cfg.AdminToken != "" {
		s.adminH = sha256.Sum256([]byte(cfg.AdminToken))
	}
	s.routes()
	return s, nil
}

// LoadTimeout bounds the loads of the default documents in New. The
// first call on the wasm engine compiles the module, unless the
// compilation cache has it.
const LoadTimeout = 30 * time.Second

// DefaultError is New's error for a Config.Policy or Config.Tables the
// engine refuses to load (Err is usually the *api.Error naming the field).
type DefaultError struct {
	Key string // "policy" or "tables"
	Err error
}

func (e *DefaultError) Error() string { return "server: default " + e.Key + ": " + e.Err.Error() }
func (e *DefaultError) Unwrap() error { return e.Err }

// loadPolicy loads a default policy and returns the reference requests
// get: its handle; the default, or a handle, as it is; the document
// itself on an engine without LoadPolicy.
func loadPolicy(ctx context.Context, eng api.Operations, p api.PolicyRef) (api.PolicyRef, error) {
	if _, isHandle := p.Handle(); p.IsZero() || isHandle {
		return p, nil
	}
	info, err := eng.LoadPolicy(ctx, p)
	if unknownOp(err) {
		return p, nil
	}
	if err != nil {
		return p, &DefaultError{Key: "policy", Err: err}
	}
	return api.PolicyHandle(info.Handle), nil
}

// loadTables is loadPolicy for the default tables.
func loadTables(ctx context.Context, eng api.Operations, t api.TablesRef) (api.TablesRef, error) {
	if _, isHandle := t.Handle(); t.IsZero() || isHandle {
		return t, nil
	}
	info, err := eng.LoadTables(ctx, t)
	if unknownOp(err) {
		return t, nil
	}
	if err != nil {
		return t, &DefaultError{Key: "tables", Err: err}
	}
	return api.TablesHandle(info.Handle), nil
}

func unknownOp(err error) bool {
	var ae *api.Error
	return errors.As(err, &ae) && ae.Code == api.ErrUnknownOp
}

func setDefault[T comparable](p *T, d T) {
	var zero T
	if *p == zero {
		*p = d
	}
}

// writeMargin is the time kept at the end of the write timeout to write an
// answer: an operation's deadline is never later than the request's start
// plus WriteTimeout less this.
const writeMargin = time.Second

// opContext is an operation's context: the request's (a client that hangs
// up cancels it), with the deadline OpTimeout from now, or earlier when the
// write timeout would pass first (opCtx: the timer only when waited on).
func (s *Server) opContext(r *http.Request, l *reqLog) (context.Context, func()) {
	deadline := time.Now().Add(s.cfg.OpTimeout)
	if w := l.start.Add(s.cfg.WriteTimeout - writeMargin); w.Before(deadline) {
		deadline = w
	}
	l.deadline = deadline
	c := newOpCtx(r.Context(), deadline)
	return c, c.stop
}

// Handler returns the service's handler, for embedding in another server.
func (s *Server) Handler() http.Handler { return s.mux }

// HTTPServer returns an http.Server with the configured timeouts.
func (s *Server) HTTPServer() *http.Server {
	return &http.Server{
		Handler:           s.mux,
		ReadHeaderTimeout: s.cfg.ReadHeaderTimeout,
		WriteTimeout:      s.cfg.WriteTimeout,
		IdleTimeout:       s.cfg.IdleTimeout,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
}

// Serve answers requests on ln until ctx ends, then shuts down gracefully:
// it stops accepting, lets requests in progress finish (up to
// ShutdownTimeout) and returns nil. Any other failure is returned.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	hs := s.HTTPServer()
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	s.log.Info("shutting down", "in_flight", s.metrics.inFlight.Load())
	sctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer cancel()
	err := hs.Shutdown(sctx)
	if e := <-errc; e != nil && !errors.Is(e, http.ErrServerClosed) && err == nil {
		err = e
	}
	if err != nil {
		return err
	}
	s.log.Info("stopped")
	return nil
}

// IsLoopback reports whether a listen address (host:port) binds only to a
// loopback interface. An empty host (all interfaces) is not loopback.
func IsLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// authorized checks the bearer token in constant time: the verdict token,
// or the administrator's, which is good for every request. Hashing both
// sides first makes the comparison independent of the token's length too.
func (s *Server) authorized(r *http.Request) bool {
	if s.cfg.Token == "" {
		return true
	}
	got, ok := bearer(r)
	if !ok {
		return false
	}
	verdict := subtle.ConstantTimeCompare(got[:], s.tokenH[:])
	admin := subtle.ConstantTimeCompare(got[:], s.adminH[:])
	return verdict|(admin&boolInt(s.cfg.AdminToken != "")) == 1
}

// isAdmin reports whether r carries the administrator token (constant
// time, as authorized).
func (s *Server) isAdmin(r *http.Request) bool {
	got, ok := bearer(r)
	return ok && s.cfg.AdminToken != "" && subtle.ConstantTimeCompare(got[:], s.adminH[:]) == 1
}

// forbidden is the answer to an administrator's event without the
// administrator token.
func (s *Server) forbidden() *api.Error {
	msg := "unlock, activate, require_change and changes by an administrator need the administrator token (Authorization: Bearer ADMIN_TOKEN)"
	if s.cfg.AdminToken == "" {
		msg = "unlock, activate, require_change and changes by an administrator need an administrator token, and this service has none (serve --admin-token-file)"
	}
	return &api.Error{Code: ErrForbidden, Field: "event", Message: msg}
}

// bearer returns the SHA-256 of the request's bearer token.
func bearer(r *http.Request) ([sha256.Size]byte, bool) {
	h := r.Header.Get("Authorization")
	const prefix = "Bearer "
	if len(h) < len(prefix) || !strings.EqualFold(h[:len(prefix)], prefix) {
		return [sha256.Size]byte{}, false
	}
	return sha256.Sum256([]byte(strings.TrimSpace(h[len(prefix):]))), true
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
