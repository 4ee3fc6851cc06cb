// Package redisstore keeps the decision service's shared state in Redis,
// so that several replicas of `tollgate serve` count one account's
// failures together and a token is single-use across all of them: a
// server.Store for sign-in state and an srsv.Store for SRSV provisioning
// cycles, over one connection to one Redis database.
//
//	st, err := redisstore.Open(redisstore.Options{URL: "redis://10.0.0.5:6379/0", Password: pw})
//	srv, err := server.New(server.Config{Engine: tg, Store: st, SRSV: st.SRSV()})
//
// # Atomicity
//
// server.Store's Update runs fn, the sign-in rules, in Go, so it cannot
// run inside Redis. Update is optimistic: it reads the state (GET), calls
// fn, and writes fn's result with a compare-and-set script that replaces
// the value only if it is still, byte for byte, the value fn was given
// (or still absent). When another replica wrote in between, the script
// writes nothing and answers the newer value, with which Update calls fn
// again. Redis runs a script alone, so the comparison and the write are
// one step: of two concurrent failures both are counted, one of them
// after a second call of fn (TestUpdateConflictCallsFnAgain makes the
// conflict happen between the read and the write; TestUpdateContention
// counts every failure of 64 concurrent writers on two connections).
// The script is the compare-and-set of WATCH/MULTI/EXEC without a
// connection held per update, which WATCH needs; so the client can
// pipeline the updates of many requests on few connections.
//
// # What is kept, and for how long
//
// A state is its JSON form (api.Append: counters, times and flags, never
// a PIN, a password or a hash) under PREFIX "signin:" KIND ":" USER,
// expiring at the entry's ForgetAt (as a relative time from the service's
// clock, so the clocks of Redis's host and the replica's need not agree):
// the end of a timed lockout or of the failure window, never before an
// inactivity window or an administrator's unlock. A state with no
// ForgetAt (a lock only an administrator lifts, a credential that must
// change, ...) never expires. SRSV cycles live in one hash, PREFIX "srsv",
// one field per branch: the SHA-256 of the token (never the token) and
// two times. Velocity counters (server.CallCounter) are sorted sets under
// PREFIX "velocity:" SCOPE ":" TIER ":" WINDOW [":after_hours"] [":" CALLER]:
// call times (scores, milliseconds) and a member per call (the time, a
// random tag of the replica, a sequence number) — never the number
// dialed — trimmed to the limit's count and expiring one window after
// the last call. Admit checks every window and records the call in all
// of them in one script (TestAdmitContention: 64 concurrent calls over
// two connections, a limit of 10, exactly 10 pass; split into a check
// and a record, 44 passed).
//
// # Failures
//
// Every command has a deadline (Options.Timeout), within the request's
// own; a Redis that does not answer in time, or at all, is an error, on
// which the service fails closed (503 store_unavailable). Open does not
// need Redis to be up: the client connects when it is first used and
// reconnects by itself, so a replica started before Redis, or across a
// Redis restart, recovers without help. Ping reports whether Redis
// answers (the service's /readyz).
package redisstore

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"hash/maphash"
	"net"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/rueidis"

	"github.com/tollgate/tollgate/api"
	"github.com/tollgate/tollgate/server"
)

// Defaults of Options.
const (
	// DefaultTimeout bounds each Redis command: a sign-in waits at most
	// this long for a slow Redis before it is answered 503 (Kamailio and
	// a PBX give up after about a second).
	DefaultTimeout = 500 * time.Millisecond
	// DefaultPrefix starts every key the store writes.
	DefaultPrefix = "tollgate:"
	// DefaultPort is Redis's port, for a URL that names none.
	DefaultPort = "6379"
)

// maxAttempts bounds how often Update calls fn for one event: each
// further call follows a write by another replica to the same key, so
// this is reached only by an account under a flood far beyond what 64
// concurrent events make.
const maxAttempts = 1000

// Options configure a Store.
type Options struct {
	// URL is redis://[USER@]HOST[:PORT][/DB] or rediss://... for TLS.
	// It must not hold a password (it would show in ps and in logs):
	// give Password.
	URL string
	// Password is the AUTH password (with the URL's user, Redis 6 ACLs).
	Password string
	// CA is a PEM bundle that a rediss:// server's certificate must chain
	// to; nil means the system's roots.
	CA []byte
	// Timeout bounds each command (DefaultTimeout when 0).
	Timeout time.Duration
	// Prefix starts every key (DefaultPrefix when empty): several
	// services may share a database under different prefixes.
	Prefix string
	// Now is the clock expiry times are measured from: the service's
	// (server.Config.Now). Nil is time.Now.
	Now func() time.Time
}

// Store is a server.Store in Redis; SRSV returns the srsv.Store of the
// same database. It is safe for concurrent use.
type Store struct {
	client  rueidis.Client
	timeout time.Duration
	prefix  string
	now     func() time.Time
	bufs    sync.Pool
	// stripes serialise this replica's updates of one key (by the key's
	// hash), so that concurrent events for one account conflict only
	// with other replicas' writes, not with each other: without them, 64
	// concurrent failures of one account on one replica made some 30
	// calls of fn per update. Each stripe is a channel so that waiting
	// for it ends with the request's context.
	seed    maphash.Seed
	stripes [numStripes]chan struct{}
	// tag and seq make each velocity call's member unique across
	// replicas.
	tag string
	seq atomic.Uint64
}

// numStripes: enough that events for different accounts seldom share one.
const numStripes = 1024

// URLError is Open's error for a store URL it cannot use. It never
// carries a password.
type URLError struct{ Msg string }

func (e *URLError) Error() string { return "redisstore: store URL: " + e.Msg }

// Target is a store URL, parsed: what Open connects to.
type Target struct {
	Addr string // host:port
	TLS  bool
	User string
	DB   int
}

// ParseURL reads a store URL: redis://[USER@]HOST[:PORT][/DB] or
// rediss://... A password in the URL is refused, and so is any query.
func ParseURL(raw string) (Target, error) {
	var t Target
	u, err := url.Parse(raw)
	if err != nil {
		// url's error quotes the URL, which may hold a password.
		return t, &URLError{"not a URL; want redis://HOST:PORT/DB or rediss://HOST:PORT/DB"}
	}
	switch u.Scheme {
	case "redis":
	case "rediss":
		t.TLS = true
	default:
		return t, &URLError{"the scheme must be redis:// or rediss:// (TLS)"}
	}
	if u.User != nil {
		if _, has := u.User.Password(); has {
			return t, &URLError{"the URL holds a password, which ps and logs would show; give it in a file (serve --store-password-file) or $TOLLGATE_STORE_PASSWORD"}
		}
		t.User = u.User.Username()
	}
	if u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" {
		return t, &URLError{"the URL takes no query or fragment: redis://HOST:PORT/DB"}
	}
	host, port := u.Hostname(), u.Port()
	if host == "" {
		return t, &URLError{"no host; want redis://HOST:PORT/DB"}
	}
	if port == "" {
		port = DefaultPort
	} else if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return t, &URLError{"port " + strconv.Quote(port) + " is not 1 to 65535"}
	}
	t.Addr = net.JoinHostPort(host, port)
	switch db := strings.TrimPrefix(u.Path, "/"); {
	case db == "":
	default:
		n, err := strconv.Atoi(db)
		if err != nil || n < 0 || n > 1<<20 || strings.Contains(db, "/") {
			return t, &URLError{"the path must be a database number (/0, /1, ...), not " + strconv.Quote(u.Path)}
		}
		t.DB = n
	}
	return t, nil
}

// Open returns a Store for o. It checks the options and starts the
// client; it does not wait for Redis: when Redis cannot be reached yet,
// the Store connects on first use (Ping says whether it answers). A Redis
// that answers but refuses the client (a wrong password, a database it
// does not have) is an error here.
func Open(o Options) (*Store, error) {
	t, err := ParseURL(o.URL)
	if err != nil {
		return nil, err
	}
	opt := rueidis.ClientOption{
		InitAddress: []string{t.Addr},
		Username:    t.User,
		Password:    o.Password,
		SelectDB:    t.DB,
		// One Redis (or the primary Sentinel gives): no cluster probe,
		// and a client even when Redis is not up yet.
		ForceSingleClient: true,
		// The state is read once per update and must be fresh: no
		// client-side cache (RESP3 tracking).
		DisableCache: true,
		ClientName:   "tollgate",
		// One connection, on which the client pipelines every request's
		// commands: Ping (/readyz) then tests the very connection the
		// updates use, so a replica that says it is ready after a Redis
		// restart has reconnected. With several, a PING could reconnect
		// one while a script, which the client does not retry (it
		// writes), met the next one still broken (TestReplicaAndRedisRestart and
		// TestRedisDown failed 4 runs in 24).
		PipelineMultiplex: -1,
	}
	opt.Dialer.Timeout = 2 * time.Second
	if t.TLS {
		host, _, _ := net.SplitHostPort(t.Addr)
		cfg := &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
		if o.CA != nil {
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(o.CA) {
				return nil, errors.New("redisstore: the CA bundle holds no PEM certificate")
			}
			cfg.RootCAs = pool
		}
		opt.TLSConfig = cfg
	} else if o.CA != nil {
		return nil, &URLError{"a CA bundle is for rediss:// (TLS); the URL is redis://"}
	}
	client, err := rueidis.NewClient(opt)
	if err != nil {
		if client == nil || refused(err) {
			if client != nil {
				client.Close()
			}
			return nil, errors.New("redisstore: " + t.Addr + ": " + err.Error())
		}
		// Not reachable yet: the client dials again when used.
	}
	var tag [6]byte
	rand.Read(tag[:])
	s := &Store{client: client, timeout: o.Timeout, prefix: o.Prefix, now: o.Now, seed: maphash.MakeSeed(), tag: hex.EncodeToString(tag[:])}
	for i := range s.stripes {
		s.stripes[i] = make(chan struct{}, 1)
	}
	if s.timeout <= 0 {
		s.timeout = DefaultTimeout
	}
	if s.prefix == "" {
		s.prefix = DefaultPrefix
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s, nil
}

// refused reports whether Redis answered the connection with an error of
// its own (authentication, SELECT, HELLO): a configuration error, not an
// outage.
func refused(err error) bool {
	_, ok := rueidis.IsRedisErr(err)
	return ok
}

// Close closes the connections.
func (s *Store) Close() { s.client.Close() }

// Ping reports whether Redis answers within the timeout.
func (s *Store) Ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	if err := s.client.Do(ctx, s.client.B().Ping().Build()).Error(); err != nil {
		return errors.New("redisstore: PING: " + err.Error())
	}
	return nil
}

// SigninKey is the Redis key of a sign-in state: the prefix, "signin:",
// the kind, ":", the user (which may hold any byte; the kind holds no
// colon, so keys of different users never meet).
func (s *Store) SigninKey(k server.Key) string {
	return s.prefix + "signin:" + k.Kind + ":" + k.User
}

// casScript writes ARGV[3] to KEYS[1] only if the key still holds what
// the caller read: ARGV[2] when ARGV[1] is "1", nothing when it is "0".
// ARGV[4] is the time to live in milliseconds: "0" keeps the key for
// ever, "-" deletes it (an entry forgettable at once). It answers 1 when
// it wrote, else the key's present value, or 0 when the key is gone.
const casScript = `
local cur = redis.call('GET', KEYS[1])
if ARGV[1] == '1' then
  if cur ~= ARGV[2] then
    if cur then return cur end
    return 0
  end
elseif cur then
  return cur
end
if ARGV[4] == '-' then
  redis.call('DEL', KEYS[1])
elseif ARGV[4] == '0' then
  redis.call('SET', KEYS[1], ARGV[3])
else
  redis.call('SET', KEYS[1], ARGV[3], 'PX', ARGV[4])
end
return 1
`

// The SHA-1 of a script is asked of Redis (SCRIPT LOAD) rather than
// computed here: Go's crypto/sha1 panics under GODEBUG=fips140=only.
var cas = rueidis.NewLuaScript(casScript, rueidis.WithLoadSHA1(true))

// Update implements server.Store (see the package's doc on atomicity).
func (s *Store) Update(ctx context.Context, k server.Key, fn func(*api.SignInState) (server.Entry, error)) error {
	key := s.SigninKey(k)
	stripe := s.stripes[maphash.String(s.seed, key)%numStripes]
	select {
	case stripe <- struct{}{}:
		defer func() { <-stripe }()
	case <-ctx.Done():
		return errors.New("redisstore: waiting for this replica's other update of the key: " + ctx.Err().Error())
	}
	cur, exists, err := s.get(ctx, key)
	if err != nil {
		return err
	}
	bp, _ := s.bufs.Get().(*[]byte)
	if bp == nil {
		bp = new([]byte)
	}
	defer s.bufs.Put(bp)
	for attempt := 1; ; attempt++ {
		var state *api.SignInState
		if exists {
			state = new(api.SignInState)
			if err := api.Decode([]byte(cur), state); err != nil {
				return errors.New("redisstore: the state stored under " + strconv.Quote(key) + " does not decode: " + err.Error())
			}
		}
		e, err := fn(state)
		if err != nil {
			return err
		}
		ttl := "0"
		if !e.ForgetAt.IsZero() {
			d := e.ForgetAt.Sub(s.now())
			if d <= 0 {
				if !exists {
					return nil // forgettable at once, and nothing to delete
				}
				ttl = "-"
			} else {
				// Rounded up: a key may outlive its ForgetAt by a
				// millisecond, never the other way round.
				ttl = strconv.FormatInt(int64((d+time.Millisecond-1)/time.Millisecond), 10)
			}
		}
		*bp = api.Append((*bp)[:0], &e.State)
		flag := "0"
		if exists {
			flag = "1"
		}
		wrote, newer, present, err := s.cas(ctx, key, flag, cur, string(*bp), ttl)
		if err != nil {
			return err
		}
		if wrote {
			return nil
		}
		if attempt == maxAttempts {
			return errors.New("redisstore: " + strconv.Itoa(maxAttempts) + " concurrent writers in a row changed " + strconv.Quote(key) + " before this update could")
		}
		cur, exists = newer, present
	}
}

// get reads a key: its value, and whether it exists.
func (s *Store) get(ctx context.Context, key string) (string, bool, error) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	v, err := s.client.Do(ctx, s.client.B().Get().Key(key).Build()).ToString()
	if rueidis.IsRedisNil(err) {
		return "", false, nil
	}
	if err != nil {
		return "", false, errors.New("redisstore: GET: " + err.Error())
	}
	return v, true, nil
}

// cas runs casScript: wrote, or the value found instead (present false:
// none).
func (s *Store) cas(ctx context.Context, key, flag, old, val, ttl string) (wrote bool, newer string, present bool, err error) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	m, err := cas.Exec(ctx, s.client, []string{key}, []string{flag, old, val, ttl}).ToMessage()
	if err != nil {
		return false, "", false, errors.New("redisstore: compare-and-set script: " + err.Error())
	}
	if m.IsInt64() {
		n, _ := m.AsInt64()
		return n == 1, "", false, nil
	}
	v, err := m.ToString()
	if err != nil {
		return false, "", false, errors.New("redisstore: compare-and-set script: " + err.Error())
	}
	return false, v, true, nil
}

// admitScript is server.CallCounter's Admit in one step: KEYS are the
// windows' counters (sorted sets of call times, in milliseconds),
// ARGV[1] the time now, ARGV[2] a member unique to this call, then per
// key its span in milliseconds, its Max and "1" when enforced. Each
// counter first drops the calls outside its window; when an enforced one
// holds Max, the script answers its index (1-based) and records nothing;
// else the call goes into every counter, each trimmed to its newest Max
// and set to expire a span after this call, and it answers 0.
const admitScript = `
local now = tonumber(ARGV[1])
for i, k in ipairs(KEYS) do
  local span = tonumber(ARGV[3*i])
  redis.call('ZREMRANGEBYSCORE', k, '-inf', now - span)
  if ARGV[3*i+2] == '1' and redis.call('ZCARD', k) >= tonumber(ARGV[3*i+1]) then
    return i
  end
end
for i, k in ipairs(KEYS) do
  local max = tonumber(ARGV[3*i+1])
  redis.call('ZADD', k, now, ARGV[2])
  local n = redis.call('ZCARD', k)
  if n > max then
    redis.call('ZREMRANGEBYRANK', k, 0, n - max - 1)
  end
  redis.call('PEXPIRE', k, ARGV[3*i])
end
return 0
`

var admit = rueidis.NewLuaScript(admitScript, rueidis.WithLoadSHA1(true))

// CallKey is the Redis key of a velocity counter: the prefix and the
// window's key ("velocity:caller:high:600s:2001").
func (s *Store) CallKey(w server.Window) string { return s.prefix + w.Key }

// Admit implements server.CallCounter with one script (admitScript):
// Redis runs it alone, so the check of every window and the record of
// the call in all of them are one step against every replica. A counter
// holds call times and a member that tells two calls of one millisecond
// apart (this Store's random tag and a sequence number), nothing else.
// The times are the service's clock (Config.Now): replicas keep their
// clocks in step (NTP), as they must for sign-in events too.
func (s *Store) Admit(ctx context.Context, now time.Time, ws []server.Window) (int, error) {
	if len(ws) == 0 {
		return -1, nil
	}
	keys := make([]string, len(ws))
	args := make([]string, 2, 2+3*len(ws))
	ms := now.UnixMilli()
	args[0] = strconv.FormatInt(ms, 10)
	args[1] = strconv.FormatInt(ms, 10) + ":" + s.tag + ":" + strconv.FormatUint(s.seq.Add(1), 36)
	for i := range ws {
		keys[i] = s.prefix + ws[i].Key
		enforce := "0"
		if ws[i].Enforce {
			enforce = "1"
		}
		args = append(args, strconv.FormatInt(ws[i].Span.Milliseconds(), 10), strconv.Itoa(ws[i].Max), enforce)
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	n, err := admit.Exec(ctx, s.client, keys, args).AsInt64()
	if _, isRedis := rueidis.IsRedisErr(err); err != nil && !isRedis && ctx.Err() == nil {
		// A connection Redis's restart left broken answers EOF once
		// (TestVelocityFailsClosed); the next one works. Run the script
		// again, once: if the first run did record the call before the
		// connection failed, the call counts twice, which only spends
		// budget — it never lets a call past a limit.
		n, err = admit.Exec(ctx, s.client, keys, args).AsInt64()
	}
	if err != nil {
		return -1, errors.New("redisstore: velocity script: " + err.Error())
	}
	if n < 0 || n > int64(len(ws)) {
		return -1, errors.New("redisstore: velocity script: answered " + strconv.FormatInt(n, 10))
	}
	return int(n) - 1, nil
}
