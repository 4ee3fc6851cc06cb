package server_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tollgate/tollgate/api"
	"github.com/tollgate/tollgate/server"
)

// TestMemoryStoreUpdateIsAtomic: concurrent events for one user must all
// count, which a read-then-write without the per-key lock would lose.
func TestMemoryStoreUpdateIsAtomic(t *testing.T) {
	s := server.NewMemoryStore()
	alice := server.Key{Kind: "pin", User: "alice"}
	var wg sync.WaitGroup
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 100 {
				err := s.Update(context.Background(), alice, func(old *api.SignInState) (server.Entry, error) {
					var next api.SignInState
					if old != nil {
						next = *old
					}
					next.Failures++
					return server.Entry{State: next}, nil
				})
				if err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	if got, _ := s.Get(alice); got.Failures != 3200 {
		t.Errorf("after 3200 updates the state has %d failures", got.Failures)
	}
}

func TestMemoryStoreFailedUpdateStoresNothing(t *testing.T) {
	s := server.NewMemoryStore()
	bob := server.Key{Kind: "pin", User: "bob"}
	s.Update(context.Background(), bob, func(*api.SignInState) (server.Entry, error) {
		return server.Entry{State: api.SignInState{Failures: 1}}, nil
	})
	boom := errors.New("boom")
	if err := s.Update(context.Background(), bob, func(*api.SignInState) (server.Entry, error) {
		return server.Entry{State: api.SignInState{Failures: 2}}, boom
	}); err != boom {
		t.Fatalf("Update = %v, want fn's error as it is", err)
	}
	if got, _ := s.Get(bob); got.Failures != 1 {
		t.Errorf("state after a failed update has %d failures, want 1", got.Failures)
	}
}

func TestMemoryStoreBound(t *testing.T) {
	s := &server.MemoryStore{Max: 2}
	set := func(user string) error {
		return s.Update(context.Background(), server.Key{Kind: "pin", User: user}, func(*api.SignInState) (server.Entry, error) {
			return server.Entry{State: api.SignInState{Failures: 1}}, nil
		})
	}
	for _, k := range []string{"a", "b", "a", "b"} {
		if err := set(k); err != nil {
			t.Fatalf("set %s: %v", k, err)
		}
	}
	if err := set("c"); !errors.Is(err, server.ErrStoreFull) {
		t.Errorf("third user: %v, want ErrStoreFull", err)
	}
}

// TestMemoryStoreRoundTrip: what fn gets back is the state it stored,
// field for field (the store keeps its JSON form), per key: the kinds of
// one user are apart, and a user name may hold any printable byte.
func TestMemoryStoreRoundTrip(t *testing.T) {
	s := server.NewMemoryStore()
	locked, changed := "2026-11-23T09:00:00Z", "2026-01-05T09:00:00.5Z"
	want := api.SignInState{Failures: 3, LastFailure: &locked, LockedAt: &locked, MustChange: true, ChangedAt: &changed,
		Inactive: true, Sessions: map[string]int{"telephony": 1, "imap": 0, "web": 2}}
	pin := server.Key{Kind: "pin", User: "a:b/c d"}
	if err := s.Update(context.Background(), pin, func(old *api.SignInState) (server.Entry, error) {
		if old != nil {
			t.Errorf("a new key's state = %+v, want nil", old)
		}
		return server.Entry{State: want}, nil
	}); err != nil {
		t.Fatal(err)
	}
	s.Update(context.Background(), pin, func(old *api.SignInState) (server.Entry, error) {
		if old == nil || string(api.Append(nil, old)) != string(api.Append(nil, &want)) {
			t.Errorf("stored %s, got back %v", api.Append(nil, &want), old)
		}
		return server.Entry{State: *old}, nil
	})
	if _, ok := s.Get(server.Key{Kind: "password", User: pin.User}); ok {
		t.Error("the PIN's state is the password's too")
	}
}

// TestMemoryStoreForgets: an entry is gone once its ForgetAt has passed
// (fn gets nil: a new account), one forgettable at once is not kept, and
// one without a ForgetAt stays.
func TestMemoryStoreForgets(t *testing.T) {
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	s := &server.MemoryStore{Now: func() time.Time { return now }}
	put := func(user string, forget time.Time) {
		s.Update(context.Background(), server.Key{Kind: "pin", User: user}, func(*api.SignInState) (server.Entry, error) {
			return server.Entry{State: api.SignInState{Failures: 1}, ForgetAt: forget}, nil
		})
	}
	put("soon", now.Add(time.Minute))
	put("at-once", now)
	put("kept", time.Time{})
	if s.Len() != 2 {
		t.Errorf("%d users stored, want 2 (one was forgettable at once)", s.Len())
	}
	now = now.Add(time.Minute)
	s.Update(context.Background(), server.Key{Kind: "pin", User: "soon"}, func(old *api.SignInState) (server.Entry, error) {
		if old != nil {
			t.Errorf("after its ForgetAt the state is %+v, want nil", old)
		}
		return server.Entry{State: api.SignInState{}, ForgetAt: now}, nil
	})
	if _, ok := s.Get(server.Key{Kind: "pin", User: "kept"}); !ok || s.Len() != 1 {
		t.Errorf("kept: %v, %d users; want it kept, alone", ok, s.Len())
	}
}

// brokenStore is a store that cannot be reached.
type brokenStore struct{}

func (brokenStore) Update(context.Context, server.Key, func(*api.SignInState) (server.Entry, error)) error {
	return errors.New("dial tcp 127.0.0.1:6379: connect: connection refused")
}

// TestStoreUnavailableFailsClosed: a store that does not answer gets a
// sign-in a 503 store_unavailable, never a decision made without the
// state, and its error (which may name a host) stays in the log; the
// verdicts that need no state keep working.
func TestStoreUnavailableFailsClosed(t *testing.T) {
	url, _ := start(t, server.Config{Store: brokenStore{}})
	r := do(t, "POST", url+"/v1/signin/alice", `{"event":"success"}`)
	if r.status != 503 || r.errorCode() != server.ErrStoreUnavailable || strings.Contains(string(r.body), "6379") {
		t.Errorf("sign-in on a broken store = %d %s, want 503 store_unavailable", r.status, r.body)
	}
	if r := do(t, "POST", url+"/v1/pin", `{"pin":"802163"}`); r.status != 200 {
		t.Errorf("a PIN check on a broken store = %d %s", r.status, r.body)
	}
}

// retryingStore is an optimistic store under contention: between its
// read and its write of every update another replica counts a failure of
// the same account, so the write is refused and it calls fn again with
// the newer state, as a WATCH/MULTI/EXEC store does.
type retryingStore struct {
	mu    sync.Mutex
	state map[server.Key]api.SignInState
	calls int
}

func (s *retryingStore) Update(_ context.Context, k server.Key, fn func(*api.SignInState) (server.Entry, error)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	read := func() *api.SignInState {
		if st, ok := s.state[k]; ok {
			return &st
		}
		return nil
	}
	if _, err := fn(read()); err != nil {
		return err
	}
	s.calls++
	other := s.state[k] // the other replica's failure, just now
	now := time.Now().UTC().Format(time.RFC3339Nano)
	other.Failures++
	other.LastFailure = &now
	s.state[k] = other
	e, err := fn(read())
	if err != nil {
		return err
	}
	s.calls++
	s.state[k] = e.State
	return nil
}

// TestStoreMayCallFnAgain: when a store calls fn again after a conflict,
// what is stored and what the client is told are the second call's, which
// saw the other replica's failure: every failure is counted once.
func TestStoreMayCallFnAgain(t *testing.T) {
	store := &retryingStore{state: map[server.Key]api.SignInState{}}
	url, _ := start(t, server.Config{Store: store, Policy: api.PolicyJSON([]byte(`{"extends":"cuc","pin":{"failed_limit":9}}`))})
	var last api.SignInResult
	for range 2 {
		r := do(t, "POST", url+"/v1/signin/carol", `{"event":"failure"}`)
		if err := api.Decode(bytes.TrimSpace(r.body), &last); r.status != 200 || err != nil {
			t.Fatalf("failure = %d %s (%v)", r.status, r.body, err)
		}
	}
	stored := store.state[server.Key{Kind: "pin", User: "carol"}]
	if store.calls != 4 || stored.Failures != 4 || last.State.Failures != 4 || last.Decision.Remaining != 5 {
		t.Errorf("fn ran %d times; stored %d failures, answered %d (remaining %d); want 4 runs, 4 failures (2 here, 2 elsewhere), 5 remaining",
			store.calls, stored.Failures, last.State.Failures, last.Decision.Remaining)
	}
}
