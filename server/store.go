package server

import (
	"context"
	"errors"
	"hash/maphash"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tollgate/tollgate/api"
)

// Store keeps each account's sign-in state between events: the
// api.SignInState the signin operation answers and takes back with the
// next event, and when it may be forgotten. The state is all a store
// holds: counters, times and flags (docs/credentials.md), never a PIN, a
// password or a hash. The memory store (MemoryStore) is the default, for
// one process; a store shared by several replicas (a database) lets them
// count one account's failures together.
//
// Update is the whole contract, and must be atomic per key: it reads the
// key's state, calls fn with it, and writes what fn returns, as one step
// against every other Update of that key, on this replica or another, so
// that two failures arriving at once are both counted. A store that
// serialises the updates of a key (a lock, a transaction, a script run by
// the database) calls fn once. An optimistic store (read, compute, write
// only if the key is unchanged: Redis's WATCH/MULTI/EXEC) may call fn
// again with the newer state when another writer came between; fn has no
// effect besides its result, so that is safe, and the service answers
// with the result of the call whose entry was stored.
//
// To serialise a state, a store uses its JSON form: api.Append(buf,
// &entry.State) writes it and api.Decode(data, &state) reads it back
// (strictly: a corrupted entry is an error, not a guess). The form is
// stable across releases and engines.
type Store interface {
	// Update calls fn with the state stored for key — nil when there is
	// none, or when the entry's ForgetAt has passed: a new account — and
	// stores the entry fn returns, to be dropped at its ForgetAt. An
	// entry whose ForgetAt is not after the store's clock is as good as
	// none: the store may delete the key instead of writing it. When fn
	// fails, nothing is written and Update returns fn's error as it is.
	// Any other error means the store could not answer (the service says
	// 503 store_unavailable, and fails closed: no sign-in is decided
	// without the state); ErrStoreFull is a store with no room for a new
	// key. ctx carries the request's deadline (Config.OpTimeout) and ends
	// when the client goes: a store that waits on a network stops there.
	Update(ctx context.Context, key Key, fn func(state *api.SignInState) (Entry, error)) error
}

// Key names one account's state: per user and per credential, so PIN
// failures do not lock the web password.
type Key struct {
	// Kind is the credential: "pin" or "password" (the signin
	// operation's kind; the service never passes another).
	Kind string
	// User is the name from the route /v1/signin/{user}: 1 to 256 bytes
	// of printable UTF-8, which may hold any other byte (':' and '/'
	// included). A store that joins Kind and User into one string puts
	// Kind first, which holds neither.
	User string
}

// String is the key as one string: Kind, a colon, User.
func (k Key) String() string { return k.Kind + ":" + k.User }

// Entry is what a Store keeps for a key.
type Entry struct {
	State api.SignInState
	// ForgetAt is when the store may drop the entry (api's
	// Session.ForgetAt, from core.SignInState.ForgetAt): from then on the
	// next event decides as it does for a new account (a lockout has
	// ended, the failure window has passed), so a shared store sets it as
	// the key's expiry. The zero time means keep it: a lock only an
	// administrator lifts, a credential that must change, an inactive
	// account, open sessions under a cap, a last sign-in an inactivity
	// rule reads.
	ForgetAt time.Time
}

// ErrStoreFull is returned by MemoryStore when it holds its maximum number
// of users, none of which may be forgotten yet, and a new one signs in
// (the service answers 503 store_full).
var ErrStoreFull = errors.New("server: sign-in store is full")

// memShards spreads the memory store's keys over independent locks so
// events for different users do not wait on each other.
const memShards = 64

// MemoryStore is the in-memory Store: state lives as long as the process.
// It holds at most Max users and velocity counters together (0 means
// DefaultMaxUsers). It keeps an entry
// only until its ForgetAt: an entry forgettable at once is not stored, an
// expired one is dropped when its key next comes or when the store is
// full, and each update drops the expired entries it meets in its shard,
// so what stays is the state the policy still reads. A store full of
// state that must be kept (accounts locked, or inside their failure
// window) refuses new users with ErrStoreFull until some of it expires.
//
// It keeps each state in its JSON form (api.Append), about 190 bytes, so
// a user costs some 330 bytes of memory (docs/api.md).
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

	// calls: the velocity counters (velocity_store.go), callCount of them.
	calls     callShards
	callCount atomic.Int64
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
	m  map[string]memEntry // by memKey
	// buf is where Update encodes a state, under mu.
	buf []byte
	// next is the earliest ForgetAt in the shard (unix nanoseconds; 0:
	// none), so a sweep skips shards where nothing can have expired.
	next int64
}

// memKey is a Key as the memory store's map key.
func memKey(k Key) string { return k.Kind + "\x00" + k.User }

// memEntry is a stored state, in its JSON form, and its ForgetAt in unix
// nanoseconds (0: keep).
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
func (s *MemoryStore) Update(ctx context.Context, k Key, fn func(*api.SignInState) (Entry, error)) error {
	s.once.Do(s.init)
	key := memKey(k)
	now := s.now()
	if s.count.Load()+s.callCount.Load() >= s.max() {
		s.sweep(now) // before taking a shard's lock: the sweep takes each
		s.calls.once.Do(s.calls.init)
		s.sweepCalls(now)
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
	if !exists && s.count.Load()+s.callCount.Load() >= s.max() {
		return ErrStoreFull
	}
	var state *api.SignInState
	if exists {
		state = new(api.SignInState)
		if err := api.Decode(old.state, state); err != nil {
			return errors.New("server: memory store: a stored state does not decode: " + err.Error())
		}
	}
	e, err := fn(state)
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
	// Encoded into the shard's scratch buffer, then copied at its size.
	sh.buf = api.Append(sh.buf[:0], &e.State)
	sh.m[key] = memEntry{state: append([]byte(nil), sh.buf...), forget: forget}
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

// Get returns the state stored for key; ok is false when there is none
// (also once it has expired).
func (s *MemoryStore) Get(k Key) (state api.SignInState, ok bool) {
	s.once.Do(s.init)
	key := memKey(k)
	sh := &s.shards[maphash.String(s.seed, key)%memShards]
	sh.mu.Lock()
	e, found := sh.m[key]
	sh.mu.Unlock()
	if !found || e.expired(s.now()) {
		return state, false
	}
	return state, api.Decode(e.state, &state) == nil
}
