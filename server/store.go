package server

import (
	"context"
	"errors"
	"hash/maphash"
	"sync"
	"sync/atomic"
	"time"
)

// Store keeps each user's sign-in state between events: the opaque JSON
// "state" object the signin operation returns and takes back, with the
// time from which it may be forgotten. The service never interprets the
// state.
//
// Update must be atomic per key: two failures for one user arriving at the
// same time must both be counted, so the read, the signin operation and the
// write happen under one lock (or one transaction, for a shared store).
type Store interface {
	// Update calls fn with the state stored for key (nil when none, or
	// when the stored entry's ForgetAt has passed) and stores the entry fn
	// returns. When fn fails nothing is stored.
	Update(ctx context.Context, key string, fn func(state []byte) (Entry, error)) error
}

// Entry is what a Store keeps for a key.
type Entry struct {
	State []byte
	// ForgetAt is when the store may drop the entry (api's
	// Session.ForgetAt, from core.SignInState.ForgetAt): from then on the
	// next event decides as it does for a new account (a lockout has
	// ended, the failure window has passed). The zero time means keep it:
	// a lock only an administrator lifts, a credential that must change,
	// an inactive account, open sessions under a cap, a last sign-in an
	// inactivity rule reads.
	ForgetAt time.Time
}

// ErrStoreFull is returned by MemoryStore when it holds its maximum number
// of users, none of which may be forgotten yet, and a new one signs in.
var ErrStoreFull = errors.New("server: sign-in store is full")

// memShards spreads the memory store's keys over independent locks so
// events for different users do not wait on each other.
const memShards = 64

// MemoryStore is the in-memory Store: state lives as long as the process.
// It holds at most Max users (0 means DefaultMaxUsers). It keeps an entry
// only until its ForgetAt: an entry forgettable at once is not stored, an
// expired one is dropped when its key next comes or when the store is
// full, and each update drops the expired entries it meets in its shard,
// so what stays is the state the policy still reads. A store full of
// state that must be kept (accounts locked, or inside their failure
// window) refuses new users with ErrStoreFull until some of it expires.
type MemoryStore struct {
	Max int
	// Now is the clock ForgetAt is judged by; nil is time.Now. The
	// service sets its own clock here when it makes the store.
	Now func() time.Time

	seed   maphash.Seed
	once   sync.Once
	shards [memShards]memShard
	count  atomic.Int64
	// sweep: one sweep of the whole store at a time, at most one per
	// sweepEvery, and only once an entry can have expired.
	sweepMu   sync.Mutex
	lastSweep atomic.Int64 // unix nanoseconds
}

// DefaultMaxUsers bounds a MemoryStore when Max is 0: a stream of events
// for made-up user names cannot grow the process without limit.
const DefaultMaxUsers = 1 << 20

// sweepEvery bounds how often a full store walks every entry for expired
// ones: a store full of state that must be kept, under a stream of new
// users, would otherwise walk a million entries per request.
const sweepEvery = time.Second

type memShard struct {
	mu sync.Mutex
	m  map[string]memEntry
	// next is the earliest ForgetAt in the shard (unix nanoseconds; 0:
	// none), so a sweep skips shards where nothing can have expired.
	next int64
}

// memEntry is a stored state and its ForgetAt in unix nanoseconds (0:
// keep).
type memEntry struct {
	state  []byte
	forget int64
}

func (e memEntry) expired(now int64) bool { return e.forget != 0 && e.forget <= now }

// NewMemoryStore returns an empty in-memory store.
func NewMemoryStore() *MemoryStore { return &MemoryStore{} }

func (s *MemoryStore) init() {
	s.seed = maphash.MakeSeed()
	for i := range s.shards {
		s.shards[i].m = map[string]memEntry{}
	}
}

func (s *MemoryStore) now() int64 {
	if s.Now != nil {
		return s.Now().UnixNano()
	}
	return time.Now().UnixNano()
}

func (s *MemoryStore) max() int64 {
	if s.Max > 0 {
		return int64(s.Max)
	}
	return DefaultMaxUsers
}

// Update implements Store.
func (s *MemoryStore) Update(ctx context.Context, key string, fn func([]byte) (Entry, error)) error {
	s.once.Do(s.init)
	now := s.now()
	if s.count.Load() >= s.max() {
		s.sweep(now) // before taking a shard's lock: the sweep takes each
	}
	sh := &s.shards[maphash.String(s.seed, key)%memShards]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	sh.dropExpired(s, now, 2)
	old, exists := sh.m[key]
	if exists && old.expired(now) {
		sh.delete(s, key)
		old, exists = memEntry{}, false
	}
	if !exists && s.count.Load() >= s.max() {
		return ErrStoreFull
	}
	e, err := fn(old.state)
	if err != nil {
		return err
	}
	var forget int64
	if !e.ForgetAt.IsZero() {
		if forget = e.ForgetAt.UnixNano(); forget <= now {
			// Forgettable at once: as good as a new account.
			if exists {
				sh.delete(s, key)
			}
			return nil
		}
		if sh.next == 0 || forget < sh.next {
			sh.next = forget
		}
	}
	// A copy of its own: the state is usually a slice of the whole answer.
	sh.m[key] = memEntry{state: append([]byte(nil), e.State...), forget: forget}
	if !exists {
		s.count.Add(1)
	}
	return nil
}

func (sh *memShard) delete(s *MemoryStore, key string) {
	delete(sh.m, key)
	s.count.Add(-1)
}

// dropExpired drops up to n expired entries among the first it meets
// (map iteration starts at random), so that a store not yet full does not
// keep what has expired for ever. The caller holds sh.mu.
func (sh *memShard) dropExpired(s *MemoryStore, now int64, n int) {
	if sh.next == 0 || sh.next > now {
		return
	}
	i := 0
	for k, e := range sh.m {
		if e.expired(now) {
			sh.delete(s, k)
		}
		if i++; i >= n {
			break
		}
	}
}

// sweep drops every expired entry, shard by shard, when the store is full;
// at most once per sweepEvery, and never two at once.
func (s *MemoryStore) sweep(now int64) {
	if now-s.lastSweep.Load() < int64(sweepEvery) || !s.sweepMu.TryLock() {
		return
	}
	defer s.sweepMu.Unlock()
	s.lastSweep.Store(now)
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		if sh.next != 0 && sh.next <= now {
			var next int64
			for k, e := range sh.m {
				switch {
				case e.expired(now):
					sh.delete(s, k)
				case e.forget != 0 && (next == 0 || e.forget < next):
					next = e.forget
				}
			}
			sh.next = next
		}
		sh.mu.Unlock()
	}
}

// Len is the number of users the store holds.
func (s *MemoryStore) Len() int { return int(s.count.Load()) }

// Get returns the state stored for key, or nil (also once it has expired).
func (s *MemoryStore) Get(key string) []byte {
	s.once.Do(s.init)
	sh := &s.shards[maphash.String(s.seed, key)%memShards]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if e := sh.m[key]; !e.expired(s.now()) {
		return e.state
	}
	return nil
}
