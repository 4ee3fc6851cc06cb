package redisstore_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tollgate/tollgate/api"
	"github.com/tollgate/tollgate/internal/redistest"
	"github.com/tollgate/tollgate/server"
	"github.com/tollgate/tollgate/server/redisstore"
)

// These tests run the decision service as replicas do in production: each
// replica is a server.Server with its own Redis client, answering on its
// own loopback listener, all on one real redis-server.

// limitPolicy locks a PIN after 20 failures, for 30 minutes.
const limitPolicy = `{"extends":"cuc","pin":{"failed_limit":20}}`

const adminToken = "adm1n-t0ken"

// replica is one service on a real listener.
type replica struct {
	URL   string
	store *redisstore.Store
	ts    *httptest.Server
}

func (r *replica) Close() {
	r.ts.Close()
	r.store.Close()
}

func startReplica(t *testing.T, rs *redistest.Server, o ...func(*redisstore.Options)) *replica {
	t.Helper()
	opts := redisstore.Options{URL: rs.URL(0), Password: rs.Password}
	for _, f := range o {
		f(&opts)
	}
	st, err := redisstore.Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(server.Config{Engine: api.NewSession(), Policy: api.PolicyJSON([]byte(limitPolicy)),
		Store: st, SRSV: st.SRSV(), AdminToken: adminToken})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewUnstartedServer(srv.Handler())
	ts.Config = srv.HTTPServer()
	ts.Start()
	r := &replica{URL: ts.URL, store: st, ts: ts}
	t.Cleanup(r.Close)
	return r
}

var client = &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}

// post sends a JSON body (method "" is POST) and returns the status and
// the body.
func call(t *testing.T, method, url, body string, admin bool) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Error(err)
		return 0, nil
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if admin {
		req.Header.Set("Authorization", "Bearer "+adminToken)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Error(err)
		return 0, nil
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

type signinAnswer struct {
	State    api.SignInState
	Decision struct {
		Code      string
		Allowed   bool
		Locked    bool
		Remaining int
	}
}

func signin(t *testing.T, url, user, event string) (int, signinAnswer, []byte) {
	t.Helper()
	status, b := call(t, "POST", url+"/v1/signin/"+user, `{"event":"`+event+`"}`, event == "unlock")
	var a signinAnswer
	if status == 200 {
		if err := json.Unmarshal(b, &a); err != nil {
			t.Errorf("signin answer %s: %v", b, err)
		}
	}
	return status, a, b
}

// TestReplicasCountTogether: 64 concurrent failed sign-ins for one user,
// spread over two replicas, are all counted: exactly the policy's limit
// of them are answered "failed", with each remaining count once (19 down
// to 0, the last locking), and the other 44 "locked"; the state holds 20
// failures. An unlock sent to one replica is seen by the other.
func TestReplicasCountTogether(t *testing.T) {
	rs := redistest.Start(t)
	reps := []*replica{startReplica(t, rs), startReplica(t, rs)}
	const n, limit = 64, 20
	var mu sync.Mutex
	codes := map[string]int{}
	remaining := map[int]int{}
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			status, a, b := signin(t, reps[i%2].URL, "alice", "failure")
			mu.Lock()
			defer mu.Unlock()
			if status != 200 {
				t.Errorf("failure %d on replica %d: %d %s", i, i%2, status, b)
				return
			}
			if a.Decision.Allowed {
				t.Errorf("a failure was allowed: %s", b)
			}
			codes[a.Decision.Code]++
			if a.Decision.Code == "failed" {
				remaining[a.Decision.Remaining]++
			}
		})
	}
	close(start)
	wg.Wait()
	if codes["failed"] != limit || codes["locked"] != n-limit || len(codes) != 2 {
		t.Errorf("answers %v; want %d failed and %d locked", codes, limit, n-limit)
	}
	for r := range limit {
		if remaining[r] != 1 {
			t.Errorf("remaining %d answered %d times, want once (answers by remaining: %v)", r, remaining[r], remaining)
		}
	}
	for i, rep := range reps {
		if _, a, b := signin(t, rep.URL, "alice", "check"); a.State.Failures != limit || !a.Decision.Locked {
			t.Errorf("replica %d: state %s; want %d failures, locked", i, b, limit)
		}
	}
	if _, a, b := signin(t, reps[0].URL, "alice", "unlock"); a.Decision.Locked || a.State.Failures != 0 {
		t.Fatalf("unlock on replica 0: %s", b)
	}
	if _, a, b := signin(t, reps[1].URL, "alice", "success"); !a.Decision.Allowed || a.Decision.Code == "locked" {
		t.Errorf("replica 1 after replica 0's unlock: %s; want allowed", b)
	}
}

// TestReplicaAndRedisRestart: a replica restarted (a new process: a new
// client and service on the same Redis) keeps every state, and so does a
// Redis restarted with persistence on (append-only file); the replica
// that was running reconnects by itself. An SRSV cycle survives both.
func TestReplicaAndRedisRestart(t *testing.T) {
	rs := redistest.Start(t)
	a := startReplica(t, rs)
	for range 5 {
		signin(t, a.URL, "bob", "failure")
	}
	for range 20 {
		signin(t, a.URL, "carol", "failure") // locked
	}
	status, b := call(t, "POST", a.URL+"/v1/srsv/branch-1", `{}`, true)
	var issued struct{ Token string }
	if json.Unmarshal(b, &issued); status != 201 || issued.Token == "" {
		t.Fatalf("issue: %d %s", status, b)
	}
	check := func(what string, rep *replica) {
		t.Helper()
		if _, s, b := signin(t, rep.URL, "bob", "check"); s.State.Failures != 5 || s.Decision.Locked {
			t.Errorf("%s: bob %s; want 5 failures, not locked", what, b)
		}
		if _, s, b := signin(t, rep.URL, "carol", "check"); s.State.Failures != 20 || !s.Decision.Locked {
			t.Errorf("%s: carol %s; want locked", what, b)
		}
		if status, b := call(t, "GET", rep.URL+"/v1/srsv", "", true); status != 200 || !strings.Contains(string(b), `"branch-1"`) {
			t.Errorf("%s: pending cycles %d %s; want branch-1", what, status, b)
		}
	}
	a.Close()
	a2 := startReplica(t, rs)
	check("a replica restarted", a2)

	rs.Stop() // SIGTERM: Redis flushes its append-only file
	rs.Start()
	waitUntil(t, "the replica is ready again", func() bool { s, _ := call(t, "GET", a2.URL+"/readyz", "", false); return s == 200 })
	check("Redis restarted", a2)
	if status, b := call(t, "POST", a2.URL+"/v1/srsv/branch-1/redeem", `{"token":"`+issued.Token+`"}`, false); status != 200 {
		t.Errorf("redeem after both restarts: %d %s", status, b)
	}
}

// TestRedisDown: with Redis stopped, a sign-in is answered 503
// store_unavailable, never a decision; /readyz says 503; verdicts that need
// no state still answer. When Redis returns, the replica recovers by
// itself, with the state Redis persisted.
func TestRedisDown(t *testing.T) {
	rs := redistest.Start(t)
	rep := startReplica(t, rs)
	for range 2 {
		signin(t, rep.URL, "dave", "failure")
	}
	if s, b := call(t, "GET", rep.URL+"/readyz", "", false); s != 200 || string(b) != `{"status":"ready"}`+"\n" {
		t.Errorf("/readyz with Redis up: %d %s", s, b)
	}
	rs.Stop()
	for _, ev := range []string{"success", "failure", "check"} {
		status, _, b := signin(t, rep.URL, "dave", ev)
		var e struct{ Error struct{ Code string } }
		json.Unmarshal(b, &e)
		if status != 503 || e.Error.Code != "store_unavailable" {
			t.Errorf("%s with Redis stopped: %d %s; want 503 store_unavailable", ev, status, b)
		}
	}
	if s, b := call(t, "GET", rep.URL+"/readyz", "", false); s != 503 || !strings.Contains(string(b), "store_unavailable") {
		t.Errorf("/readyz with Redis stopped: %d %s", s, b)
	}
	if s, b := call(t, "GET", rep.URL+"/healthz", "", false); s != 200 {
		t.Errorf("/healthz with Redis stopped: %d %s (the process is alive)", s, b)
	}
	if s, b := call(t, "POST", rep.URL+"/v1/pin", `{"pin":"739164"}`, false); s != 200 || !strings.Contains(string(b), `"accepted":true`) {
		t.Errorf("/v1/pin with Redis stopped: %d %s", s, b)
	}
	if s, b := call(t, "POST", rep.URL+"/v1/dial", `{"number":"9 1 900 555 0100"}`, false); s != 200 {
		t.Errorf("/v1/dial with Redis stopped: %d %s", s, b)
	}
	if s, b := call(t, "POST", rep.URL+"/v1/srsv/branch-2", `{}`, true); s != 503 {
		t.Errorf("SRSV issue with Redis stopped: %d %s", s, b)
	}
	rs.Start()
	waitUntil(t, "/readyz answers 200 once Redis is back", func() bool { s, _ := call(t, "GET", rep.URL+"/readyz", "", false); return s == 200 })
	if status, a, b := signin(t, rep.URL, "dave", "failure"); status != 200 || a.State.Failures != 3 {
		t.Errorf("after Redis returned: %d %s; want the third failure", status, b)
	}
}

// TestRedisSlow: a Redis that does not answer (DEBUG SLEEP) holds a
// sign-in no longer than the store's timeout: the answer is 503
// store_unavailable well before the sleep ends, and /readyz says 503.
func TestRedisSlow(t *testing.T) {
	rs := redistest.Start(t)
	rep := startReplica(t, rs, func(o *redisstore.Options) { o.Timeout = 300 * time.Millisecond })
	signin(t, rep.URL, "erin", "failure")
	done := rs.Sleep(4 * time.Second)
	t0 := time.Now()
	status, _, b := signin(t, rep.URL, "erin", "failure")
	took := time.Since(t0)
	if status != 503 || !strings.Contains(string(b), "store_unavailable") {
		t.Errorf("sign-in while Redis sleeps: %d %s; want 503 store_unavailable", status, b)
	}
	// A bound, not a speed: the sleep lasts 4 s, the timeout is 0.3 s.
	if took > 2*time.Second {
		t.Errorf("the sign-in waited %v for a sleeping Redis", took)
	}
	if s, _ := call(t, "GET", rep.URL+"/readyz", "", false); s != 503 {
		t.Errorf("/readyz while Redis sleeps: %d", s)
	}
	<-done
	waitUntil(t, "sign-ins answer after the sleep", func() bool { s, _, _ := signin(t, rep.URL, "erin", "check"); return s == 200 })
}

// TestSRSVRedeemOnceAcrossReplicas: 16 concurrent redemptions of one
// token, 8 on each replica: exactly one wins, the others are refused.
func TestSRSVRedeemOnceAcrossReplicas(t *testing.T) {
	rs := redistest.Start(t)
	reps := []*replica{startReplica(t, rs), startReplica(t, rs)}
	for round := range 5 {
		branch := "branch-" + strconv.Itoa(round)
		status, b := call(t, "POST", reps[round%2].URL+"/v1/srsv/"+branch, `{}`, true)
		var issued struct{ Token string }
		if json.Unmarshal(b, &issued); status != 201 {
			t.Fatalf("issue: %d %s", status, b)
		}
		var mu sync.Mutex
		got := map[int]int{}
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range 16 {
			wg.Go(func() {
				<-start
				s, _ := call(t, "POST", reps[i%2].URL+"/v1/srsv/"+branch+"/redeem", `{"token":"`+issued.Token+`"}`, false)
				mu.Lock()
				got[s]++
				mu.Unlock()
			})
		}
		close(start)
		wg.Wait()
		if got[200] != 1 || got[403] != 15 {
			t.Errorf("round %d: answers by status %v; want one 200 and 15 403", round, got)
		}
	}
}

// TestDumpHoldsNoSecret: after PINs, passwords, hash records, sign-ins
// and SRSV tokens went through two replicas, nothing Redis holds — each
// key's value, its DUMP, the append-only file and an RDB file after SAVE
// — contains any of them.
func TestDumpHoldsNoSecret(t *testing.T) {
	rs := redistest.Start(t)
	reps := []*replica{startReplica(t, rs), startReplica(t, rs)}
	const pin, password = "73916482", "Kx93-vault-Qm"
	rec, err := api.NewSession().MakeHash(context.Background(), &api.HashMakeRequest{Scheme: "pbkdf2-sha256", Secret: password, Iterations: 1000})
	if err != nil {
		t.Fatal(err)
	}
	secrets := []string{pin, password, rec.Record}
	// The record's salt and digest fields, each on its own.
	for _, f := range strings.FieldsFunc(rec.Record, func(r rune) bool { return r == '$' || r == '}' }) {
		if len(f) >= 16 {
			secrets = append(secrets, f)
		}
	}
	for i, rep := range reps {
		u := "user" + strconv.Itoa(i)
		call(t, "POST", rep.URL+"/v1/pin", `{"pin":"`+pin+`"}`, false)
		call(t, "POST", rep.URL+"/v1/password", `{"password":"`+password+`"}`, false)
		if s, b := call(t, "POST", rep.URL+"/v1/hash/verify", `{"record":"`+rec.Record+`","secret":"`+password+`"}`, false); s != 200 {
			t.Fatalf("hash/verify: %d %s", s, b)
		}
		for _, ev := range []string{"failure", "failure", "success", "signout"} {
			signin(t, rep.URL, u, ev)
		}
		call(t, "POST", rep.URL+"/v1/signin/"+u, `{"kind":"password","event":"failure"}`, false)
		s, b := call(t, "POST", rep.URL+"/v1/srsv/branch-"+strconv.Itoa(i), `{}`, true)
		var issued struct{ Token string }
		if json.Unmarshal(b, &issued); s != 201 {
			t.Fatalf("issue: %d %s", s, b)
		}
		secrets = append(secrets, issued.Token, strings.ReplaceAll(issued.Token, "-", ""))
		raw, _ := hex.DecodeString(strings.ReplaceAll(issued.Token, "-", ""))
		secrets = append(secrets, string(raw))
	}
	dump := rs.Dump()
	for _, want := range []string{"tollgate:signin:pin:user0", "tollgate:signin:password:user1", "tollgate:srsv", "branch-1"} {
		if !bytes.Contains(dump, []byte(want)) {
			t.Fatalf("the dump lacks %q: the test reads the wrong thing", want)
		}
	}
	for _, s := range secrets {
		if bytes.Contains(dump, []byte(s)) {
			i := bytes.Index(dump, []byte(s))
			t.Errorf("the dump of Redis holds a secret (%d bytes) at %d: ...%q...", len(s), i, dump[max(0, i-40):i])
		}
	}
}

// TestExpiryFollowsThePolicy: a key lives as long as the policy reads the
// state, measured at the service (PTTL): a failure for the failure window
// (30 minutes), a timed lock for its duration, a lock only an
// administrator lifts and a last sign-in an inactivity rule reads for
// ever, and a success that leaves nothing to remember not at all.
func TestExpiryFollowsThePolicy(t *testing.T) {
	rs := redistest.Start(t)
	start := func(prefix, policy string) string {
		st, err := redisstore.Open(redisstore.Options{URL: rs.URL(0), Prefix: prefix})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(st.Close)
		srv, err := server.New(server.Config{Engine: api.NewSession(), Policy: api.PolicyJSON([]byte(policy)), Store: st, AdminToken: adminToken})
		if err != nil {
			t.Fatal(err)
		}
		ts := httptest.NewServer(srv.Handler())
		t.Cleanup(ts.Close)
		return ts.URL
	}
	pttl := func(key string) time.Duration {
		t.Helper()
		ms, err := strconv.Atoi(strings.TrimSpace(rs.CLI("PTTL", key)))
		if err != nil {
			t.Fatal(err)
		}
		if ms < 0 {
			return time.Duration(ms) // -1: no expiry, -2: no key
		}
		return time.Duration(ms) * time.Millisecond
	}
	about := func(what string, got, want time.Duration) {
		t.Helper()
		if got < want-time.Minute || got > want+time.Second {
			t.Errorf("%s: PTTL %v, want about %v", what, got, want)
		}
	}
	prefix := "timed:"
	timed := start(prefix, `{"extends":"cuc","pin":{"failed_limit":3,"reset_failed_minutes":30,"lockout_minutes":45}}`)
	signin(t, timed, "u1", "failure")
	about("one failure", pttl(prefix+"signin:pin:u1"), 30*time.Minute)
	signin(t, timed, "u1", "failure")
	signin(t, timed, "u1", "failure") // locked for 45 minutes
	about("a timed lock", pttl(prefix+"signin:pin:u1"), 45*time.Minute)
	signin(t, timed, "u2", "failure")
	signin(t, timed, "u2", "success")
	if got := pttl(prefix + "signin:pin:u2"); got != -2 {
		t.Errorf("a success that leaves nothing to remember: PTTL %v, want no key (-2)", got)
	}

	prefix = "admin:"
	admin := start(prefix, `{"extends":"cuc","pin":{"failed_limit":3,"admin_must_unlock":true},"account":{"inactivity_days":90}}`)
	for range 3 {
		signin(t, admin, "u3", "failure")
	}
	if got := pttl(prefix + "signin:pin:u3"); got != -1 {
		t.Errorf("a lock only an administrator lifts: PTTL %v, want no expiry (-1)", got)
	}
	if _, a, b := signin(t, admin, "u3", "unlock"); a.Decision.Locked {
		t.Fatalf("unlock: %s", b)
	}
	signin(t, admin, "u4", "success")
	if got := pttl(prefix + "signin:pin:u4"); got != -1 {
		t.Errorf("a last sign-in an inactivity rule reads: PTTL %v, want no expiry (-1)", got)
	}
}
