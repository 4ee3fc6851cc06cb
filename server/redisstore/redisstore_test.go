package redisstore_test

import (
	"context"
	"crypto/rand"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tollgate/tollgate"
	"github.com/tollgate/tollgate/api"
	"github.com/tollgate/tollgate/core/srsv"
	"github.com/tollgate/tollgate/core/srsv/srsvtest"
	"github.com/tollgate/tollgate/internal/countertest"
	"github.com/tollgate/tollgate/internal/redistest"
	"github.com/tollgate/tollgate/server"
	"github.com/tollgate/tollgate/server/redisstore"
)

func TestParseURL(t *testing.T) {
	for _, tc := range []struct {
		url  string
		want redisstore.Target
		err  string
	}{
		{"redis://127.0.0.1:6380/2", redisstore.Target{Addr: "127.0.0.1:6380", DB: 2}, ""},
		{"redis://cache.example.com", redisstore.Target{Addr: "cache.example.com:6379"}, ""},
		{"redis://cache.example.com/", redisstore.Target{Addr: "cache.example.com:6379"}, ""},
		{"rediss://tollgate@[::1]:6390/0", redisstore.Target{Addr: "[::1]:6390", TLS: true, User: "tollgate"}, ""},
		{"redis://:s3cret@127.0.0.1:6379/0", redisstore.Target{}, "holds a password"},
		{"redis://u:s3cret@127.0.0.1:6379/0", redisstore.Target{}, "holds a password"},
		{"http://127.0.0.1:6379", redisstore.Target{}, "scheme must be redis"},
		{"127.0.0.1:6379", redisstore.Target{}, "want redis://"},
		{"localhost:6379", redisstore.Target{}, "scheme must be redis"},
		{"redis://127.0.0.1:6379/x", redisstore.Target{}, "database number"},
		{"redis://127.0.0.1:6379/0/1", redisstore.Target{}, "database number"},
		{"redis://127.0.0.1:6379/-1", redisstore.Target{}, "database number"},
		{"redis://127.0.0.1:70000/0", redisstore.Target{}, "not 1 to 65535"},
		{"redis://127.0.0.1:6379/0?password=x", redisstore.Target{}, "no query"},
		{"redis:///0", redisstore.Target{}, "no host"},
		{"redis://%zz:x@h/0", redisstore.Target{}, "not a URL"},
	} {
		got, err := redisstore.ParseURL(tc.url)
		switch {
		case tc.err == "" && (err != nil || got != tc.want):
			t.Errorf("ParseURL(%q) = %+v, %v; want %+v", tc.url, got, err, tc.want)
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("ParseURL(%q) = %v; want an error saying %q", tc.url, err, tc.err)
		case err != nil && strings.Contains(err.Error(), "s3cret"):
			t.Errorf("ParseURL(%q): the error shows the password: %v", tc.url, err)
		}
	}
}

// open returns a Store on database db of r, closed with the test.
func open(t *testing.T, r *redistest.Server, db int, o ...func(*redisstore.Options)) *redisstore.Store {
	t.Helper()
	opts := redisstore.Options{URL: r.URL(db), Password: r.Password}
	for _, f := range o {
		f(&opts)
	}
	s, err := redisstore.Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// fail is an update that counts one more failure.
func fail(calls *atomic.Int64) func(*api.SignInState) (server.Entry, error) {
	return func(old *api.SignInState) (server.Entry, error) {
		calls.Add(1)
		var next api.SignInState
		if old != nil {
			next = *old
		}
		next.Failures++
		return server.Entry{State: next, ForgetAt: time.Now().Add(time.Hour)}, nil
	}
}

func failures(t *testing.T, s *redisstore.Store, k server.Key) int {
	t.Helper()
	var n int
	err := s.Update(context.Background(), k, func(old *api.SignInState) (server.Entry, error) {
		n = -1 // fn may be called again (a remembered state, then Redis's)
		if old != nil {
			n = old.Failures
		}
		return server.Entry{}, errors.New("read only")
	})
	if err == nil || err.Error() != "read only" {
		t.Fatalf("Update = %v, want fn's error as it is", err)
	}
	return n
}

// TestUpdateConflictCallsFnAgain makes the race happen: between this
// replica's read and its write, another replica counts a failure of the
// same account. The compare-and-set refuses the stale write and fn runs
// again on the newer state, so both failures are counted. A store that
// wrote what the first call of fn returned (read, compute, SET) would
// end with 1 failure.
func TestUpdateConflictCallsFnAgain(t *testing.T) {
	r := redistest.Start(t)
	a, b := open(t, r, 0), open(t, r, 0) // two replicas: two clients
	k := server.Key{Kind: "pin", User: "alice"}
	var other atomic.Int64
	var seen []int
	err := a.Update(context.Background(), k, func(old *api.SignInState) (server.Entry, error) {
		n := 0
		if old != nil {
			n = old.Failures
		}
		seen = append(seen, n)
		if len(seen) == 1 {
			if err := b.Update(context.Background(), k, fail(&other)); err != nil {
				t.Fatal(err)
			}
		}
		return server.Entry{State: api.SignInState{Failures: n + 1}}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := failures(t, a, k); got != 2 || len(seen) != 2 || seen[0] != 0 || seen[1] != 1 {
		t.Errorf("fn saw %v, stored %d failures; want fn called twice (0, then the other's 1) and 2 failures", seen, got)
	}
	// A key that appears between the read and the write (the other
	// replica created it) is a conflict too.
	k2 := server.Key{Kind: "pin", User: "bob"}
	calls := 0
	a.Update(context.Background(), k2, func(old *api.SignInState) (server.Entry, error) {
		if calls++; calls == 1 {
			b.Update(context.Background(), k2, fail(&other))
		}
		next := api.SignInState{Failures: 1}
		if old != nil {
			next.Failures = old.Failures + 1
		}
		return server.Entry{State: next}, nil
	})
	if got := failures(t, a, k2); got != 2 || calls != 2 {
		t.Errorf("a key created by another writer: %d failures after %d calls, want 2 after 2", got, calls)
	}
}

// TestUpdateContention: 64 writers on eight clients (eight replicas), 20
// failures each, for one account: every failure is counted once, and fn
// ran more often than there were failures (the writers did conflict, and
// the conflicts were resolved by calling fn again).
func TestUpdateContention(t *testing.T) {
	r := redistest.Start(t)
	var stores []*redisstore.Store
	for range 8 {
		stores = append(stores, open(t, r, 0))
	}
	k := server.Key{Kind: "pin", User: "carol"}
	var calls atomic.Int64
	var wg sync.WaitGroup
	start := make(chan struct{})
	for g := range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			for range 20 {
				if err := stores[g%len(stores)].Update(context.Background(), k, fail(&calls)); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	close(start)
	wg.Wait()
	if got := failures(t, stores[0], k); got != 64*20 {
		t.Errorf("%d failures stored after %d, want all counted", got, 64*20)
	}
	if n := calls.Load(); n <= 64*20 {
		t.Errorf("fn ran %d times for %d updates: no conflict happened, so this test proved nothing", n, 64*20)
	} else {
		t.Logf("fn ran %d times for %d updates (%d conflicts resolved)", n, 64*20, n-64*20)
	}
}

// TestUpdateExpiry: a key lives until the entry's ForgetAt (PTTL), one
// without a ForgetAt never expires, and one forgettable at once is
// deleted; an expired key is a new account.
func TestUpdateExpiry(t *testing.T) {
	r := redistest.Start(t)
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC) // the service's clock, not Redis's
	s := open(t, r, 0, func(o *redisstore.Options) { o.Now = func() time.Time { return now } })
	put := func(user string, forget time.Time) server.Key {
		k := server.Key{Kind: "pin", User: user}
		if err := s.Update(context.Background(), k, func(*api.SignInState) (server.Entry, error) {
			return server.Entry{State: api.SignInState{Failures: 1}, ForgetAt: forget}, nil
		}); err != nil {
			t.Fatal(err)
		}
		return k
	}
	pttl := func(k server.Key) int {
		n, _ := strconv.Atoi(strings.TrimSpace(r.CLI("PTTL", s.SigninKey(k))))
		return n
	}
	timed := put("timed", now.Add(30*time.Minute))
	if ms := pttl(timed); ms <= 29*60*1000 || ms > 30*60*1000 {
		t.Errorf("PTTL of a state forgettable in 30 minutes = %d ms", ms)
	}
	kept := put("admin-lock", time.Time{})
	if ms := pttl(kept); ms != -1 {
		t.Errorf("PTTL of a state to keep (an administrator's lock) = %d, want -1 (no expiry)", ms)
	}
	put("at-once", now)
	if got := strings.TrimSpace(r.CLI("EXISTS", s.SigninKey(server.Key{Kind: "pin", User: "at-once"}))); got != "0" {
		t.Errorf("a state forgettable at once was stored (EXISTS = %s)", got)
	}
	// Forgettable at once, over an existing key: the key goes.
	put("timed", now.Add(-time.Second))
	if got := strings.TrimSpace(r.CLI("EXISTS", s.SigninKey(timed))); got != "0" {
		t.Errorf("a state that became forgettable was kept (EXISTS = %s)", got)
	}
	// A key Redis expired is a new account.
	short := put("short", now.Add(50*time.Millisecond))
	time.Sleep(200 * time.Millisecond)
	if n := failures(t, s, short); n != -1 {
		t.Errorf("after its expiry the state has %d failures, want none (nil)", n)
	}
}

// TestUpdateCorruptState: a value that is not a state is an error, not
// a new account.
func TestUpdateCorruptState(t *testing.T) {
	r := redistest.Start(t)
	s := open(t, r, 0)
	k := server.Key{Kind: "pin", User: "dave"}
	r.CLI("SET", s.SigninKey(k), `{"failures":"many"}`)
	err := s.Update(context.Background(), k, func(*api.SignInState) (server.Entry, error) {
		t.Error("fn called with a corrupted state")
		return server.Entry{}, nil
	})
	if err == nil || !strings.Contains(err.Error(), "does not decode") {
		t.Errorf("Update on a corrupted state = %v", err)
	}
}

// TestRoundTripAndKeys: every field comes back; kinds and users with
// colons and slashes stay apart.
func TestRoundTripAndKeys(t *testing.T) {
	r := redistest.Start(t)
	s := open(t, r, 3)
	locked, changed := "2026-11-23T09:00:00Z", "2026-01-05T09:00:00.5Z"
	want := api.SignInState{Failures: 3, LastFailure: &locked, LockedAt: &locked, MustChange: true, ChangedAt: &changed,
		Inactive: true, Sessions: map[string]int{"telephony": 1, "imap": 0, "web": 2}}
	for _, k := range []server.Key{{Kind: "pin", User: "a:b/c d"}, {Kind: "password", User: "a:b/c d"}, {Kind: "pin", User: "a"}} {
		got := -1
		s.Update(context.Background(), k, func(old *api.SignInState) (server.Entry, error) {
			if old != nil {
				got = old.Failures
			}
			st := want
			st.Failures = len(k.User) + len(k.Kind)
			return server.Entry{State: st}, nil
		})
		if got != -1 {
			t.Errorf("%v: a new key had a state (%d failures): keys collide", k, got)
		}
	}
	k := server.Key{Kind: "password", User: "a:b/c d"}
	s.Update(context.Background(), k, func(old *api.SignInState) (server.Entry, error) {
		w := want
		w.Failures = len(k.User) + len(k.Kind)
		if old == nil || string(api.Append(nil, old)) != string(api.Append(nil, &w)) {
			t.Errorf("stored %s, got back %v", api.Append(nil, &w), old)
		}
		return server.Entry{State: *old}, nil
	})
	if got := strings.TrimSpace(r.CLI("-n", "3", "EXISTS", "tollgate:signin:password:a:b/c d")); got != "1" {
		t.Errorf("no key tollgate:signin:password:a:b/c d in database 3")
	}
}

// TestSRSVStore runs srsv's contract tests against Redis.
func TestSRSVStore(t *testing.T) {
	r := redistest.Start(t)
	n := 0
	srsvtest.TestStore(t, func(t *testing.T) srsv.Store {
		n++
		return open(t, r, 0, func(o *redisstore.Options) { o.Prefix = "t" + strconv.Itoa(n) + ":" }).SRSV()
	})
}

// TestSRSVTakeAcrossReplicas: 16 concurrent Takes of one cycle from two
// clients: exactly one wins.
func TestSRSVTakeAcrossReplicas(t *testing.T) {
	r := redistest.Start(t)
	stores := []*redisstore.SRSVStore{open(t, r, 0).SRSV(), open(t, r, 0).SRSV()}
	m := srsv.New(srsv.Options{Store: stores[0]})
	for round := range 10 {
		now := time.Now()
		tok, _, err := m.Issue(context.Background(), now, rand.Reader, "Raleigh")
		if err != nil {
			t.Fatal(err)
		}
		var wins atomic.Int32
		var wg sync.WaitGroup
		start := make(chan struct{})
		for g := range 16 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				err := srsv.New(srsv.Options{Store: stores[g%2]}).Redeem(context.Background(), now, "Raleigh", tok.Reveal())
				switch {
				case err == nil:
					wins.Add(1)
				case !errors.Is(err, srsv.ErrInvalidToken):
					t.Error(err)
				}
			}()
		}
		close(start)
		wg.Wait()
		if n := wins.Load(); n != 1 {
			t.Fatalf("round %d: %d of 16 redemptions won, want exactly 1", round, n)
		}
	}
}

// TestTimeout: a Redis that stops answering (DEBUG SLEEP) makes an
// update fail after the store's timeout, not after Redis wakes up.
func TestTimeout(t *testing.T) {
	r := redistest.Start(t)
	s := open(t, r, 0, func(o *redisstore.Options) { o.Timeout = 200 * time.Millisecond })
	k := server.Key{Kind: "pin", User: "erin"}
	var calls atomic.Int64
	if err := s.Update(context.Background(), k, fail(&calls)); err != nil {
		t.Fatal(err)
	}
	done := r.Sleep(3 * time.Second)
	t0 := time.Now()
	err := s.Update(context.Background(), k, fail(&calls))
	took := time.Since(t0)
	if err == nil {
		t.Error("an update while Redis sleeps succeeded")
	}
	if took > 2*time.Second {
		t.Errorf("the update waited %v for a sleeping Redis; the timeout is 200ms", took)
	}
	if err := s.Ping(context.Background()); err == nil {
		t.Error("Ping succeeded while Redis sleeps")
	}
	<-done
	waitUntil(t, "the store answers after the sleep", func() bool { return s.Ping(context.Background()) == nil })
	if err := s.Update(context.Background(), k, fail(&calls)); err != nil {
		t.Errorf("after the sleep: %v", err)
	}
}

// TestOutageAndRecovery: with Redis stopped, updates and Ping fail; when
// it comes back (with what it had persisted) the same Store works again,
// by itself. A Store opened before Redis was up works once it is.
func TestOutageAndRecovery(t *testing.T) {
	r := redistest.Start(t)
	s := open(t, r, 0)
	k := server.Key{Kind: "pin", User: "frank"}
	var calls atomic.Int64
	for range 3 {
		if err := s.Update(context.Background(), k, fail(&calls)); err != nil {
			t.Fatal(err)
		}
	}
	r.Stop()
	if err := s.Update(context.Background(), k, fail(&calls)); err == nil {
		t.Error("an update with Redis stopped succeeded")
	}
	if err := s.Ping(context.Background()); err == nil {
		t.Error("Ping succeeded with Redis stopped")
	}
	r.Start()
	waitUntil(t, "the store answers once Redis is back", func() bool { return s.Ping(context.Background()) == nil })
	if n := failures(t, s, k); n != 3 {
		t.Errorf("after Redis's restart the state has %d failures, want the 3 it had (appendonly)", n)
	}

	// Opened before Redis runs.
	late := redistest.New(t)
	late.Start()
	late.Stop()
	early := open(t, late, 0)
	if err := early.Ping(context.Background()); err == nil {
		t.Fatal("Ping succeeded with nothing listening")
	}
	late.Start()
	waitUntil(t, "a store opened before Redis answers once Redis is up", func() bool { return early.Ping(context.Background()) == nil })
	if err := early.Update(context.Background(), k, fail(&calls)); err != nil {
		t.Error(err)
	}
}

// TestPassword: a Redis with requirepass refuses a client without the
// password, or with a wrong one, at Open; the right one works.
func TestPassword(t *testing.T) {
	r := redistest.New(t)
	r.Password = "r3dis-Pa55"
	r.Start()
	for _, pw := range []string{"", "wrong"} {
		s, err := redisstore.Open(redisstore.Options{URL: r.URL(0), Password: pw})
		if err == nil {
			s.Close()
			t.Errorf("Open with password %q succeeded", pw)
		} else if strings.Contains(err.Error(), r.Password) || (pw != "" && strings.Contains(err.Error(), pw)) {
			t.Errorf("the error shows a password: %v", err)
		}
	}
	s := open(t, r, 0)
	var calls atomic.Int64
	if err := s.Update(context.Background(), server.Key{Kind: "pin", User: "gina"}, fail(&calls)); err != nil {
		t.Error(err)
	}
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 15s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestAdmitContract: the velocity counters in Redis keep the contract the
// memory store keeps (the same test), on the test's clock.
func TestAdmitContract(t *testing.T) {
	r := redistest.Start(t)
	st := open(t, r, 0)
	countertest.Contract(t, st, "velocity:test:")
	// What a counter holds: call times and members, under the prefix.
	keys := strings.Fields(r.CLI("-n", "0", "--scan", "--pattern", "tollgate:velocity:*"))
	if len(keys) != 4 {
		t.Errorf("velocity keys %q; want the 4 counters the test used, under tollgate:", keys)
	}
	if ttl := strings.TrimSpace(r.CLI("-n", "0", "PTTL", "tollgate:velocity:test:site")); ttl == "-1" {
		t.Error("a velocity counter never expires")
	}
}

// TestAdmitContention: 64 concurrent calls over two replicas' connections
// on one counter of 10: exactly 10 pass, because the script checks and
// records as one step. A read-then-write over two commands lets more
// through (see the commit that made it one script).
func TestAdmitContention(t *testing.T) {
	r := redistest.Start(t)
	a, b := open(t, r, 0), open(t, r, 0)
	for i := range 5 {
		countertest.Contention(t, "velocity:caller:high:3600s:2001:"+strconv.Itoa(i), a, b)
	}
}

// TestAdmitOutage: a Redis that does not answer is an error (the
// service fails the dial closed), never a call admitted.
func TestAdmitOutage(t *testing.T) {
	r := redistest.Start(t)
	st := open(t, r, 0, func(o *redisstore.Options) { o.Timeout = 200 * time.Millisecond })
	w := []server.Window{{Key: "velocity:site:any:60s", Span: time.Minute, Max: 5, Enforce: true}}
	if full, err := st.Admit(context.Background(), time.Now(), w); err != nil || full != -1 {
		t.Fatalf("Admit = %d, %v", full, err)
	}
	r.Stop()
	full, err := st.Admit(context.Background(), time.Now(), w)
	if err == nil {
		t.Fatalf("Admit with Redis stopped = %d, nil; want an error", full)
	}
}

// TestVelocityAcrossReplicas: two services on one Redis share the
// velocity counters: a caller's calls on either count against one limit,
// and another caller is unaffected.
func TestVelocityAcrossReplicas(t *testing.T) {
	r := redistest.Start(t)
	eng, err := tollgate.New(context.Background(), tollgate.WithEngine(tollgate.Native))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close() })
	v, err := server.ParseVelocity([]byte(`{"limits": [{"tier": "any", "per": "caller", "calls": 3, "window": "10m"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	var urls []string
	for range 2 {
		srv, err := server.New(server.Config{Engine: eng, Store: open(t, r, 0), Velocity: v, Directory: dir{"2001": "Default", "2002": "Default"}})
		if err != nil {
			t.Fatal(err)
		}
		ts := httptest.NewServer(srv.Handler())
		t.Cleanup(ts.Close)
		urls = append(urls, ts.URL)
	}
	dial := func(i int, caller string) string {
		t.Helper()
		resp, err := http.Post(urls[i%2]+"/v1/dial", "application/json", strings.NewReader(`{"caller":"`+caller+`","feature":"transfer","number":"2003"}`))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var d api.DialResult
		b, _ := io.ReadAll(resp.Body)
		if err := api.Decode(b, &d); err != nil {
			t.Fatalf("%d %s: %v", resp.StatusCode, b, err)
		}
		if d.Allowed {
			return "allowed"
		}
		return string(d.Reason)
	}
	var got []string
	for i := range 5 {
		got = append(got, dial(i, "2001"))
	}
	got = append(got, dial(0, "2002"), dial(1, "2002"))
	want := "allowed allowed allowed velocity velocity allowed allowed"
	if strings.Join(got, " ") != want {
		t.Errorf("calls over two replicas: %s; want %s", strings.Join(got, " "), want)
	}
	// What Redis holds: one counter per caller, named by the limit and
	// the caller, holding call times and per-call members (time, replica
	// tag, sequence) — never the number dialed.
	keys := strings.Fields(r.CLI("-n", "0", "--scan", "--pattern", "*"))
	slices.Sort(keys)
	if k := strings.Join(keys, " "); k != "tollgate:velocity:caller:any:600s:2001 tollgate:velocity:caller:any:600s:2002" {
		t.Errorf("keys in Redis: %s", k)
	}
	member := regexp.MustCompile(`^[0-9]{13}:[0-9a-f]{12}:[0-9a-z]+$`)
	for _, k := range keys {
		for _, m := range strings.Fields(r.CLI("-n", "0", "ZRANGE", k, "0", "-1")) {
			if !member.MatchString(m) {
				t.Errorf("%s holds %q, not a call's time and tag", k, m)
			}
		}
	}
}

type dir map[string]string

func (d dir) ClassOfService(c string) (string, bool) { s, ok := d[c]; return s, ok }

// TestVelocityFailsClosed: a service whose velocity counters are in a
// Redis that has stopped answers a dial the tables allow with 503
// store_unavailable — never an allowed call uncounted — while a dial the
// tables block (no counting needed) is still answered; when Redis is back
// (with its counters, appendonly), the count goes on where it was.
func TestVelocityFailsClosed(t *testing.T) {
	r := redistest.Start(t)
	eng, err := tollgate.New(context.Background(), tollgate.WithEngine(tollgate.Native))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close() })
	v, err := server.ParseVelocity([]byte(`{"limits": [{"tier": "any", "per": "caller", "calls": 2, "window": "1h"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	st := open(t, r, 0, func(o *redisstore.Options) { o.Timeout = 200 * time.Millisecond })
	srv, err := server.New(server.Config{Engine: eng, Store: st, Velocity: v, Directory: dir{"2001": "Default"}})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	dial := func(number string) (int, string) {
		t.Helper()
		resp, err := http.Post(ts.URL+"/v1/dial", "application/json", strings.NewReader(`{"caller":"2001","feature":"transfer","number":"`+number+`"}`))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			e, _ := api.ParseError(b)
			return resp.StatusCode, string(e.Code)
		}
		var d api.DialResult
		if err := api.Decode(b, &d); err != nil {
			t.Fatal(err)
		}
		if d.Allowed {
			return 200, "allowed"
		}
		return 200, string(d.Reason)
	}
	const allowed, blocked = "2002", "9011442079460000"
	if s, c := dial(allowed); s != 200 || c != "allowed" {
		t.Fatalf("first call: %d %s", s, c)
	}
	r.Stop()
	if s, c := dial(allowed); s != 503 || c != string(server.ErrStoreUnavailable) {
		t.Errorf("an allowed call with Redis stopped: %d %s; want 503 store_unavailable", s, c)
	}
	if s, c := dial(blocked); s != 200 || c != "matched" {
		t.Errorf("a blocked call with Redis stopped: %d %s; want 200, blocked by its row", s, c)
	}
	r.Start()
	waitUntil(t, "the store answers once Redis is back", func() bool { return st.Ping(context.Background()) == nil })
	for i, want := range []string{"allowed", "velocity"} {
		if s, c := dial(allowed); s != 200 || c != want {
			t.Errorf("call %d after Redis's return: %d %s; want %s (the first call was kept)", i+2, s, c, want)
		}
	}
}
