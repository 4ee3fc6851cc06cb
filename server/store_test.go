package server_test

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"

	"github.com/tollgate/tollgate/internal/server"
)

// TestMemoryStoreUpdateIsAtomic: concurrent events for one user must all
// count, which a read-then-write without the per-key lock would lose.
func TestMemoryStoreUpdateIsAtomic(t *testing.T) {
	s := server.NewMemoryStore()
	var wg sync.WaitGroup
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 100 {
				err := s.Update(context.Background(), "alice", func(old []byte) (server.Entry, error) {
					n, _ := strconv.Atoi(string(old))
					return server.Entry{State: []byte(strconv.Itoa(n + 1))}, nil
				})
				if err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	if got := string(s.Get("alice")); got != "3200" {
		t.Errorf("after 3200 updates the state is %q", got)
	}
}

func TestMemoryStoreFailedUpdateStoresNothing(t *testing.T) {
	s := server.NewMemoryStore()
	s.Update(context.Background(), "bob", func([]byte) (server.Entry, error) { return server.Entry{State: []byte("1")}, nil })
	boom := errors.New("boom")
	if err := s.Update(context.Background(), "bob", func([]byte) (server.Entry, error) { return server.Entry{State: []byte("2")}, boom }); err != boom {
		t.Fatalf("Update = %v", err)
	}
	if got := string(s.Get("bob")); got != "1" {
		t.Errorf("state after a failed update = %q, want 1", got)
	}
}

func TestMemoryStoreBound(t *testing.T) {
	s := &server.MemoryStore{Max: 2}
	set := func(k string) error {
		return s.Update(context.Background(), k, func([]byte) (server.Entry, error) { return server.Entry{State: []byte("x")}, nil })
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
