package server

import (
	"context"
	"hash/maphash"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// callLog is one velocity counter in the memory store: the times of the
// calls its window may still hold (unix nanoseconds, oldest first, from
// times[head]), at most the window's Max of them. Calls leave from the
// front by moving head; the slice is compacted once half of it is
// behind head, so a call costs O(1) amortised however large Max is.
type callLog struct {
	times []int64
	head  int
	span  int64
}

func (c *callLog) len() int { return len(c.times) - c.head }

// expired reports whether the log's window holds none of its calls.
func (c *callLog) expired(now int64) bool {
	return c.len() == 0 || c.times[len(c.times)-1] <= now-c.span
}

// prune drops the calls outside the window ending at now.
func (c *callLog) prune(now int64) {
	for c.head < len(c.times) && c.times[c.head] <= now-c.span {
		c.head++
	}
}

// push records a call at now, keeping the newest max.
func (c *callLog) push(now int64, max int) {
	if c.len() >= max {
		c.head += c.len() - max + 1
	}
	if c.head > 0 && c.head >= len(c.times)/2 {
		c.times = c.times[:copy(c.times, c.times[c.head:])]
		c.head = 0
	}
	c.times = append(c.times, now)
}

type callShard struct {
	mu sync.Mutex
	m  map[string]*callLog
	// calls since the shard last looked for expired counters: starting
	// a map iteration costs as much as the rest of Admit, so it is done
	// every dropEvery calls.
	calls int
}

// dropEvery: how often Admit looks for expired counters in a shard (the
// store's sweep does the rest when it is full).
const dropEvery = 32

// callShards is the memory store's velocity counters, apart from the
// sign-in states (their own locks, their own bound).
type callShards struct {
	once   sync.Once
	seed   maphash.Seed
	shards [memShards]callShard
	// sweep: as the sign-in states' (MemoryStore.sweep).
	sweepMu   sync.Mutex
	lastSweep atomic.Int64
}

func (c *callShards) init() {
	c.seed = maphash.MakeSeed()
	for i := range c.shards {
		c.shards[i].m = map[string]*callLog{}
	}
}

// admitScratch holds Admit's shard indexes, reused.
var admitScratch = sync.Pool{New: func() any { s := make([]int, 0, 8); return &s }}

// Admit implements CallCounter: the shards of ws's keys are locked in
// their order (so two calls never wait on each other in a cycle), every
// enforced window is checked, and the call is recorded in all or none.
// Counters count toward Max like users do; a full store answers
// ErrStoreFull (the service fails closed).
func (s *MemoryStore) Admit(ctx context.Context, now time.Time, ws []Window) (int, error) {
	c := &s.calls
	c.once.Do(c.init)
	t := now.UnixNano()
	if s.count.Load()+s.callCount.Load() >= s.max() {
		s.sweepCalls(t) // before taking any shard's lock: the sweep takes each
	}
	ip := admitScratch.Get().(*[]int)
	idx := (*ip)[:0]
	for i := range ws {
		idx = append(idx, int(maphash.String(c.seed, ws[i].Key)%memShards))
	}
	order := append(idx[len(idx):], idx...) // a sorted copy, deduplicated
	slices.Sort(order)
	order = slices.Compact(order)
	for _, i := range order {
		c.shards[i].mu.Lock()
	}
	defer func() {
		for _, i := range order {
			c.shards[i].mu.Unlock()
		}
		*ip = idx[:0]
		admitScratch.Put(ip)
	}()
	for i := range ws {
		w := &ws[i]
		l := c.shards[idx[i]].m[w.Key]
		if l == nil {
			continue
		}
		l.prune(t)
		if w.Enforce && l.len() >= w.Max {
			return i, nil
		}
	}
	for i := range ws {
		w := &ws[i]
		sh := &c.shards[idx[i]]
		l := sh.m[w.Key]
		if l == nil {
			if s.count.Load()+s.callCount.Load() >= s.max() {
				s.dropExpiredCalls(sh, t)
				if s.count.Load()+s.callCount.Load() >= s.max() {
					return -1, ErrStoreFull
				}
			}
			l = &callLog{times: make([]int64, 0, min(w.Max, 4))}
			sh.m[w.Key] = l
			s.callCount.Add(1)
		}
		l.span = int64(w.Span)
		// A window not enforced now (or a Max lowered since) may be full:
		// push keeps the newest Max.
		l.push(t, w.Max)
	}
	if len(ws) > 0 {
		sh := &c.shards[idx[0]]
		if sh.calls++; sh.calls >= dropEvery {
			sh.calls = 0
			s.dropExpiredCalls(sh, t)
		}
	}
	return -1, nil
}

// dropExpiredCalls drops up to two expired counters of sh (held).
func (s *MemoryStore) dropExpiredCalls(sh *callShard, now int64) {
	n := 0
	for k, l := range sh.m {
		if l.expired(now) {
			delete(sh.m, k)
			s.callCount.Add(-1)
		}
		if n++; n >= 2 {
			break
		}
	}
}

// sweepCalls drops every expired counter, when the store is full; at
// most once per sweepEvery, and never two at once.
func (s *MemoryStore) sweepCalls(now int64) {
	c := &s.calls
	if now-c.lastSweep.Load() < int64(sweepEvery) || !c.sweepMu.TryLock() {
		return
	}
	defer c.sweepMu.Unlock()
	c.lastSweep.Store(now)
	for i := range c.shards {
		sh := &c.shards[i]
		sh.mu.Lock()
		for k, l := range sh.m {
			if l.expired(now) {
				delete(sh.m, k)
				s.callCount.Add(-1)
			}
		}
		sh.mu.Unlock()
	}
}

// Calls returns the times of the calls a counter holds within span
// before now, oldest first (for tests and the administrator's view).
func (s *MemoryStore) Calls(key string, span time.Duration, now time.Time) []time.Time {
	c := &s.calls
	c.once.Do(c.init)
	sh := &c.shards[maphash.String(c.seed, key)%memShards]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	var out []time.Time
	if l := sh.m[key]; l != nil {
		for _, t := range l.times[l.head:] {
			if t > now.UnixNano()-int64(span) {
				out = append(out, time.Unix(0, t))
			}
		}
	}
	return out
}
