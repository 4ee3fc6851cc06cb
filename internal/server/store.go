package server

import (
	"context"
	"errors"
	"hash/maphash"
	"sync"
)

// Store keeps each user's sign-in state between events: the opaque JSON
// "state" object the signin operation returns and takes back. The service
// never interprets it.
//
// Update must be atomic per key: two failures for one user arriving at the
// same time must both be counted, so the read, the signin operation and the
// write happen under one lock (or one transaction, for a shared store).
type Store interface {
	// Update calls fn with the state stored for key (nil when none) and
	// stores the state fn returns. When fn fails nothing is stored.
	Update(ctx context.Context, key string, fn func(state []byte) ([]byte, error)) error
}

// ErrStoreFull is returned by MemoryStore when it holds its maximum number
// of users and a new one signs in.
var ErrStoreFull = errors.New("server: sign-in store is full")

// memShards spreads the memory store's keys over independent locks so
// events for different users do not wait on each other.
const memShards = 64

// MemoryStore is the in-memory Store: state lives as long as the process.
// It holds at most Max users (0 means DefaultMaxUsers).
type MemoryStore struct {
	Max    int
	seed   maphash.Seed
	once   sync.Once
	shards [memShards]memShard
	mu     sync.Mutex // guards count
	count  int
}

// DefaultMaxUsers bounds a MemoryStore when Max is 0: a stream of events
// for made-up user names cannot grow the process without limit.
const DefaultMaxUsers = 1 << 20

type memShard struct {
	mu sync.Mutex
	m  map[string][]byte
}

// NewMemoryStore returns an empty in-memory store.
func NewMemoryStore() *MemoryStore { return &MemoryStore{} }

func (s *MemoryStore) init() {
	s.seed = maphash.MakeSeed()
	for i := range s.shards {
		s.shards[i].m = map[string][]byte{}
	}
}

// Update implements Store.
func (s *MemoryStore) Update(ctx context.Context, key string, fn func([]byte) ([]byte, error)) error {
	s.once.Do(s.init)
	sh := &s.shards[maphash.String(s.seed, key)%memShards]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	old, exists := sh.m[key]
	if !exists {
		max := s.Max
		if max == 0 {
			max = DefaultMaxUsers
		}
		s.mu.Lock()
		full := s.count >= max
		s.mu.Unlock()
		if full {
			return ErrStoreFull
		}
	}
	state, err := fn(old)
	if err != nil {
		return err
	}
	sh.m[key] = state
	if !exists {
		s.mu.Lock()
		s.count++
		s.mu.Unlock()
	}
	return nil
}

// Get returns the state stored for key, or nil.
func (s *MemoryStore) Get(key string) []byte {
	s.once.Do(s.init)
	sh := &s.shards[maphash.String(s.seed, key)%memShards]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	return sh.m[key]
}
