package auditcore

import (
	"math/bits"
	"sync"
)

// sharedTable counts how many rows hold each PIN (or stored PIN record)
// without keeping any: it stores a digest keyed with a random per-run key
// (Digest), so the table is useless once the run ends and holds no
// value that could be printed or dumped as a PIN. A keyed digest is no
// protection against someone who can read the process's memory (the key
// is there too, and the PIN space is small); what it guarantees is that no
// PIN string outlives its row.
//
// Its memory grows with the number of distinct values, not rows, so it is
// packed: one uint64 per slot holding 56 bits of digest and an 8-bit count
// (two different values share 56 bits with probability n²/2^57: 1 in
// 7,000 runs at 4.5 million distinct values), in 256 shards that grow
// one at a time by half (no moment with two copies of the whole table)
// and stay between 53% and 80% full: about 12 bytes per distinct value.
// The slots hold no pointers, so the garbage collector never scans them.
type sharedTable struct {
	shards [256]sharedShard
	// frozen: the table no longer changes, and count reads it without
	// locking. The audit's second pass only reads it, on every worker for
	// every row, where the shards' locks cost more than the lookups.
	frozen bool
}

type sharedShard struct {
	mu    sync.Mutex
	slots []uint64
	used  int
}

// sharedSaturated is where a count stops growing.
const sharedSaturated = Saturated

func newSharedTable() *sharedTable {
	return &sharedTable{}
}

// Table is the packed shared-PIN table (sharedTable) as the hosts and
// the module use it: Add counts one more holder of a digest and returns
// the count so far, Count returns it, Distinct is the number of values.
type Table = sharedTable

// NewTable returns an empty table.
func NewTable() *Table { return newSharedTable() }

func (t *sharedTable) Add(d uint64) int   { return t.add(d) }
func (t *sharedTable) Count(d uint64) int { return t.count(d) }
func (t *sharedTable) Distinct() int      { return t.distinct() }

// split turns a digest into the key stored (low 8 bits cleared for the
// count, never 0, which marks an empty slot) and its shard.
func split(d uint64) (key uint64, shard int) {
	key = d &^ 0xFF
	if key == 0 {
		key = 0x100
	}
	return key, int(key>>8) & 255
}

// add counts one more holder of d and returns the count so far.
func (t *sharedTable) add(d uint64) int {
	t.mutable()
	key, sh := split(d)
	s := &t.shards[sh]
	s.mu.Lock()
	defer s.mu.Unlock()
	if 5*(s.used+1) > 4*len(s.slots) {
		s.grow()
	}
	i := s.find(key)
	v := s.slots[i]
	if v == 0 {
		v = key
		s.used++
	}
	if v&0xFF < sharedSaturated {
		v++
	}
	s.slots[i] = v
	return int(v & 0xFF)
}

// count returns how many holders d has.
func (t *sharedTable) count(d uint64) int {
	key, sh := split(d)
	s := &t.shards[sh]
	if !t.frozen {
		s.mu.Lock()
		defer s.mu.Unlock()
	}
	if len(s.slots) == 0 {
		return 0
	}
	return int(s.slots[s.find(key)] & 0xFF)
}

// Freeze makes the table read-only: Count no longer locks, and Add, Set
// and Reset panic. Call it before the goroutines that read the table
// start (the second pass's workers), so that they see every change.
func (t *sharedTable) Freeze() { t.frozen = true }

func (t *sharedTable) mutable() {
	if t.frozen {
		panic("auditcore: a frozen shared-PIN table changed")
	}
}

// distinct is the number of different values seen.
func (t *sharedTable) distinct() int {
	n := 0
	for i := range t.shards {
		t.shards[i].mu.Lock()
		n += t.shards[i].used
		t.shards[i].mu.Unlock()
	}
	return n
}

// find returns the slot of key, or the empty slot where it belongs
// (linear probing from a multiply-shift of the key onto the slot count).
func (s *sharedShard) find(key uint64) int {
	n := uint64(len(s.slots))
	i, _ := bits.Mul64(key*0x9E3779B97F4A7C15, n)
	for {
		v := s.slots[i]
		if v == 0 || v&^0xFF == key {
			return int(i)
		}
		if i++; i == n {
			i = 0
		}
	}
}

func (s *sharedShard) grow() {
	old := s.slots
	s.slots = make([]uint64, max(256, len(old)*3/2))
	for _, v := range old {
		if v != 0 {
			s.slots[s.find(v&^0xFF)] = v
		}
	}
}

// Entries yields every digest counted with its count. The table must not
// change meanwhile.
func (t *sharedTable) Entries() func(yield func(uint64, int) bool) {
	return func(yield func(uint64, int) bool) {
		for i := range t.shards {
			for d, n := range t.Shard(i) {
				if !yield(d, n) {
					return
				}
			}
		}
	}
}

// Shards is the number of shards; a digest's shard is ShardOf.
const Shards = 256

// ShardOf is the shard d is counted in: a host that spills the table
// to disk keeps the shards apart, so it can merge them one at a time.
func ShardOf(d uint64) int {
	_, sh := split(d)
	return sh
}

// Shard yields the digests of shard i with their counts, as Entries
// does for the whole table.
func (t *sharedTable) Shard(i int) func(yield func(uint64, int) bool) {
	return func(yield func(uint64, int) bool) {
		for _, v := range t.shards[i].slots {
			if v != 0 && !yield(v&^0xFF, int(v&0xFF)) {
				return
			}
		}
	}
}

// Reset empties the table and keeps its slots for the next values (a
// host that spills it fills it again to the same size).
func (t *sharedTable) Reset() {
	t.mutable()
	for i := range t.shards {
		s := &t.shards[i]
		s.mu.Lock()
		clear(s.slots)
		s.used = 0
		s.mu.Unlock()
	}
}

// Set makes d's count n (at most Saturated), as n calls of Add would.
func (t *sharedTable) Set(d uint64, n int) {
	t.mutable()
	key, sh := split(d)
	s := &t.shards[sh]
	s.mu.Lock()
	defer s.mu.Unlock()
	if 5*(s.used+1) > 4*len(s.slots) {
		s.grow()
	}
	i := s.find(key)
	if s.slots[i] == 0 {
		s.used++
	}
	s.slots[i] = key | uint64(min(max(n, 1), sharedSaturated))
}
