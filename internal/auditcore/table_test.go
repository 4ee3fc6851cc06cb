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
