package auditcore

import (
	"math/rand/v2"
	"sync"
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
	added.Reset()
	if added.Distinct() != 0 || added.Count(42<<8) != 0 {
		t.Errorf("after Reset: %d distinct, count %d", added.Distinct(), added.Count(42<<8))
	}
	if added.Add(42<<8) != 1 {
		t.Errorf("after Reset: a value counted again is not new")
	}
}

// audit.shared's entries set each digest's count (a count of 0 is no
// entry), and SharedBytes grows with them: the module raises its heap
// limit by it.
func TestStreamShared(t *testing.T) {
	s := &Stream{shared: NewTable()}
	if s.SharedBytes() != 0 {
		t.Fatalf("empty: %d bytes", s.SharedBytes())
	}
	var b []byte
	for i := range 1000 {
		b = AppendShared(b, 0, uint64(i+1)<<8, 2+i%300)
	}
	b = AppendShared(b, 0, 5000<<8, 0)
	if err := s.Shared(b); err != nil {
		t.Fatal(err)
	}
	for i := range 1000 {
		if got, want := s.shared.Count(uint64(i+1)<<8), min(2+i%300, Saturated); got != want {
			t.Fatalf("digest %d: count %d, want %d", i, got, want)
		}
	}
	if s.shared.Count(5000<<8) != 0 || s.shared.Distinct() != 1000 {
		t.Errorf("a count of 0 was stored: %d distinct", s.shared.Distinct())
	}
	if got := s.SharedBytes(); got < 12*1000 || got > 20*1000 {
		t.Errorf("SharedBytes %d for 1000 digests", got)
	}
	if err := s.Shared(b[:15]); err == nil {
		t.Errorf("a partial entry was taken")
	}
}

// A frozen table answers as before without its locks, and refuses to change.
func TestTableFreeze(t *testing.T) {
	tb := NewTable()
	for d := uint64(1); d <= 5000; d++ {
		for range d % 4 {
			tb.Add(d << 8)
		}
	}
	want := map[uint64]int{}
	for d := uint64(1); d <= 5000; d++ {
		want[d] = tb.Count(d << 8)
	}
	tb.Freeze()
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for d := uint64(1); d <= 5000; d++ {
				if got := tb.Count(d << 8); got != want[d] || got != int(d%4) {
					t.Errorf("frozen Count(%d) = %d, want %d", d, got, d%4)
					return
				}
			}
		})
	}
	wg.Wait()
	for name, change := range map[string]func(){
		"Add": func() { tb.Add(1 << 8) }, "Set": func() { tb.Set(1<<8, 3) }, "Reset": tb.Reset,
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s on a frozen table did not panic", name)
				}
			}()
			change()
		}()
	}
	if got := tb.Count(1 << 8); got != 1 {
		t.Errorf("after the refused changes Count = %d, want 1", got)
	}
}
