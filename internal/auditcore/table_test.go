package auditcore

import (
	"math/rand/v2"
	"testing"
)

// The packed table counts exactly like a map, across growth.
func TestSharedTableMatchesMap(t *testing.T) {
	tab := newSharedTable()
	want := map[uint64]int{}
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 200000 {
		// Few distinct values early (heavy sharing), many later; and
		// digests differing only in their low 8 bits or 0 included.
		d := r.Uint64N(uint64(1000 + i))
		if i%7 == 0 {
			d <<= 8
		}
		got := tab.add(d)
		key, _ := split(d)
		want[key] = min(want[key]+1, sharedSaturated)
		if got != want[key] {
			t.Fatalf("add %d: count %d, want %d", d, got, want[key])
		}
	}
	for k, n := range want {
		if got := tab.count(k); got != n {
			t.Fatalf("count %x = %d, want %d", k, got, n)
		}
	}
	if tab.distinct() != len(want) {
		t.Errorf("distinct %d, want %d", tab.distinct(), len(want))
	}
	if tab.count(0xdeadbeef00) != 0 && want[0xdeadbeef00] == 0 {
		t.Errorf("unseen value counted")
	}
}

// Set gives what as many Adds would, and Shard partitions Entries by
// ShardOf.
func TestSharedTableSetShard(t *testing.T) {
	added, set := NewTable(), NewTable()
	r := rand.New(rand.NewPCG(3, 4))
	want := map[uint64]int{}
	for range 20000 {
		d := (r.Uint64N(5000) + 1) << 8 // 0 would be 1<<8 (split)
		want[d] = min(want[d]+1, Saturated)
		added.Add(d)
	}
	for i := range 300 { // one value saturates
		added.Add(42 << 8)
		want[42<<8] = min(i+1, Saturated)
	}
	for d, n := range added.Entries() {
		set.Set(d, n)
	}
	for d, n := range want {
		if a, s := added.Count(d), set.Count(d); a != n || s != n {
			t.Fatalf("%x: Add counted %d, Set %d, want %d", d, a, s, n)
		}
	}
	if added.Distinct() != len(want) || set.Distinct() != len(want) {
		t.Errorf("distinct: Add %d, Set %d, want %d", added.Distinct(), set.Distinct(), len(want))
	}
	seen := 0
	for sh := range Shards {
		for d := range added.Shard(sh) {
			if ShardOf(d) != sh {
				t.Fatalf("%x in shard %d, ShardOf says %d", d, sh, ShardOf(d))
			}
			seen++
		}
	}
	if seen != len(want) {
		t.Errorf("shards hold %d values, want %d", seen, len(want))
	}
}
