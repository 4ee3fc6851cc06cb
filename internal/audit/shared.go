package audit

import (
	"hash/maphash"
	"sync"
)

// sharedTable counts how many rows hold each PIN (or stored PIN record)
// without keeping any: it stores a 64-bit digest keyed with a random
// per-run seed (hash/maphash), so the table is useless once the run ends
// and holds no value that could be printed or dumped as a PIN. A keyed
// digest is no protection against someone who can read the process's
// memory (the key is there too, and the PIN space is small); what it
// guarantees is that no PIN string outlives its row.
//
// The table is open addressing over two flat arrays (8 bytes of digest
// and 1 byte of count per distinct value), so its memory grows with the
// number of distinct PINs, not with rows: about 12 bytes per distinct
// value at the 3/4 load it keeps. docs/audit.md gives the figures.
type sharedTable struct {
	seed   maphash.Seed
	mu     sync.Mutex
	keys   []uint64
	counts []uint8
	used   int
}

// sharedSaturated is where a count stops growing.
const sharedSaturated = 255

func newSharedTable() *sharedTable {
	return &sharedTable{seed: maphash.MakeSeed(), keys: make([]uint64, 1024), counts: make([]uint8, 1024)}
}

// digest is the keyed digest of a value of field f; a plaintext PIN and a
// stored record never share a digest. 0 is reserved for empty slots.
func (t *sharedTable) digest(f, v string) uint64 {
	var h maphash.Hash
	h.SetSeed(t.seed)
	h.WriteString(f)
	h.WriteByte(0)
	h.WriteString(v)
	d := h.Sum64()
	if d == 0 {
		d = 1
	}
	return d
}

// digestBytes is digest of a value held as bytes; the same value gives
// the same digest either way.
func (t *sharedTable) digestBytes(f string, v []byte) uint64 {
	var h maphash.Hash
	h.SetSeed(t.seed)
	h.WriteString(f)
	h.WriteByte(0)
	h.Write(v)
	d := h.Sum64()
	if d == 0 {
		d = 1
	}
	return d
}

// add counts one more holder of d and returns the count so far.
func (t *sharedTable) add(d uint64) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	if 4*(t.used+1) > 3*len(t.keys) {
		t.grow()
	}
	i := t.slot(d)
	if t.keys[i] == 0 {
		t.keys[i] = d
		t.used++
	}
	if t.counts[i] < sharedSaturated {
		t.counts[i]++
	}
	return int(t.counts[i])
}

// count returns how many holders d has.
func (t *sharedTable) count(d uint64) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	i := t.slot(d)
	if t.keys[i] == 0 {
		return 0
	}
	return int(t.counts[i])
}

// distinct is the number of different values seen.
func (t *sharedTable) distinct() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.used
}

func (t *sharedTable) slot(d uint64) int {
	mask := uint64(len(t.keys) - 1)
	i := d & mask
	for t.keys[i] != 0 && t.keys[i] != d {
		i = (i + 1) & mask
	}
	return int(i)
}

func (t *sharedTable) grow() {
	keys, counts := t.keys, t.counts
	t.keys = make([]uint64, 2*len(keys))
	t.counts = make([]uint8, 2*len(keys))
	for i, k := range keys {
		if k != 0 {
			j := t.slot(k)
			t.keys[j] = k
			t.counts[j] = counts[i]
		}
	}
}
