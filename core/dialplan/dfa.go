package dialplan

import (
	"errors"
	"math/bits"
	"slices"
	"strconv"
)

// MaxStates bounds the automaton of one run of rows. Subset construction
// can in theory need exponentially many states (rows with * in the middle
// interleave); past this limit Compile fails with ErrTooComplex naming the
// table, rather than use memory without bound or answer approximately.
// 1<<19 states cost 32 MiB of transitions.
const MaxStates = 1 << 19

var maxStates = MaxStates // lowered by tests

// MaxAutomatonBytes bounds the memory one tables document may take to
// compile: every automaton of every table, the structures that build them
// (state sets and their index) and the closest-match counts, counted as
// they grow. The count is the same on every host, so a document too large
// for a WebAssembly instance (128 MiB, docs/host.md) is refused the same
// way, and early, by the native engine. A Unity Connection table of
// 100 000 rows shaped like real ones needs about 14 MiB; the 30-byte
// pattern *1????????????????? (2^18 states) would need 58 MiB, and a
// 100 000-row Unified CM closest-match table about 1 GiB. Building to the
// bound, again and again, keeps a guest's memory under 60 MiB.
const MaxAutomatonBytes = 24 << 20

var maxAutomatonBytes int64 = MaxAutomatonBytes // lowered by tests

// budget is what one compilation may still spend: bytes (MaxAutomatonBytes
// for a document, counted deterministically), and an interrupt polled as
// the work grows, so a caller's deadline stops a long compilation. The
// package reads no clock: the caller's interrupt does.
type budget struct {
	left      int64
	spent     int64
	interrupt func() bool
	work      int
}

func newBudget(interrupt func() bool) *budget {
	return &budget{left: maxAutomatonBytes, interrupt: interrupt}
}

// pollEvery is how many units of work (state-set members visited) pass
// between two calls of the interrupt: about a millisecond of construction.
const pollEvery = 1 << 16

// pageStates is how many states' transitions one construction page holds
// (64 KiB).
const pageStates = 1024

// stateOverhead is what a state costs beyond its arrays: its set's slice
// header and its entry in the index (string header, value, map slot).
const stateOverhead = 64

// fresh is a budget of the same size and interrupt for a transient
// construction (a lint check, one row's counts) whose memory is freed
// before the next one.
func (b *budget) fresh() *budget {
	if b == nil {
		return nil
	}
	return &budget{left: b.left, interrupt: b.interrupt}
}

// spend charges n bytes; the error is ErrTooComplex's message.
func (b *budget) spend(n int) error {
	if b == nil {
		return nil
	}
	b.spent += int64(n)
	if b.spent > b.left {
		return errors.New("the automata of this document need more than " + strconv.FormatInt(b.left>>20, 10) +
			" MiB to build (rows with * or ! before the end multiply states, and closest-match tables keep every matching row); split the tables or simplify those rows")
	}
	return nil
}

// do counts n units of work and polls the interrupt every pollEvery.
func (b *budget) do(n int) error {
	if b == nil || b.interrupt == nil {
		return nil
	}
	b.work += n
	if b.work >= pollEvery {
		b.work = 0
		if b.interrupt() {
			return ErrInterrupted
		}
	}
	return nil
}

// dfa is a deterministic automaton over the 13 keypad symbols built by
// subset construction from the rows' position automata. State 0 is dead,
// state 1 the start. Each state knows the rows that accept there.
type dfa struct {
	trans []int32 // trans[s<<4|sym]
	// acc[s] is the winning unit (index into the table's units, relative to
	// unitBase) in row order, or -1.
	acc []int32
	// For closest-match tables, every accepting unit of state s is
	// accList[accOff[s]:accOff[s+1]].
	accOff   []int32
	accList  []int32
	unitBase int32
}

// nfa is the position automaton of a run of units: state base[u]+p means
// "unit u has consumed its first p elements". Ids grow with the unit, so
// sorting a set by id sorts it by priority.
type nfa struct {
	unitOf   []int32
	set      []symSet // the element at this position (0 at the end)
	star     []bool
	closeEnd []int32 // last id of this position's epsilon closure
	accept   []bool  // the closure reaches the end of the pattern
	all      []bool  // every continuation is accepted from here
}

// nfaBytes is what one position of the nfa takes.
const nfaBytes = 4 + 2 + 1 + 4 + 1 + 1

func newNFA(units []unit) *nfa {
	total := 0
	for _, u := range units {
		total += len(u.elems) + 1
	}
	a := &nfa{
		unitOf: make([]int32, total), set: make([]symSet, total), star: make([]bool, total),
		closeEnd: make([]int32, total), accept: make([]bool, total), all: make([]bool, total),
	}
	id := 0
	for ui, u := range units {
		L := len(u.elems)
		for p := 0; p <= L; p++ {
			a.unitOf[id+p] = int32(ui)
			q := p
			allAny := true
			for q < L && u.elems[q].star {
				allAny = allAny && u.elems[q].set == anySyms
				q++
			}
			a.closeEnd[id+p] = int32(id + q)
			a.accept[id+p] = q == L
			a.all[id+p] = q == L && allAny && p < L // at the end itself nothing loops
			if p < L {
				a.set[id+p] = u.elems[p].set
				a.star[id+p] = u.elems[p].star
			}
		}
		id += L + 1
	}
	return a
}

// buildDFA compiles units (one table run, in priority order). With closest
// set, every accepting unit of a state is kept; otherwise states are pruned
// below the first unit that accepts every continuation, which keeps
// automata of real tables small (a trailing * decides early).
func buildDFA(units []unit, closest bool, limit int, b *budget) (*dfa, error) {
	positions := 0
	for _, u := range units {
		positions += len(u.elems) + 1
	}
	if err := b.spend(nfaBytes * positions); err != nil {
		return nil, err
	}
	a := newNFA(units)
	d := &dfa{}
	index := map[string]int32{}
	var sets [][]int32
	var keyBuf []byte
	key := func(set []int32) string {
		keyBuf = keyBuf[:0]
		for _, id := range set {
			keyBuf = append(keyBuf, byte(id), byte(id>>8), byte(id>>16), byte(id>>24))
		}
		return string(keyBuf)
	}
	prune := func(set []int32) []int32 {
		if closest {
			return set
		}
		for k, id := range set {
			if a.all[id] {
				u := a.unitOf[id]
				j := k
				for j > 0 && a.unitOf[set[j-1]] == u {
					j--
				}
				return append(set[:j], id)
			}
		}
		return set
	}
	var accAll []int32
	// Transitions are built in pages and copied into one exact slice at
	// the end: an array doubling as it grows would leave freed blocks of
	// every size behind, and the WebAssembly guest's heap, which cannot
	// return memory, would fragment build after build.
	var pages [][]int32
	add := func(set []int32) (int32, error) {
		k := key(set)
		if s, ok := index[k]; ok {
			return s, nil
		}
		s := int32(len(sets))
		if int(s) >= limit {
			return 0, errors.New("more than " + strconv.Itoa(limit) + " automaton states (rows with * or ! before the end multiply states); split the table or simplify those rows")
		}
		// What the new state holds: its transitions, winner and offset,
		// its key in the index (string and entry) and its set until it is
		// processed (charged for good: the count is an upper bound).
		if err := b.spend(stride*4 + 8 + 2*4*len(set) + stateOverhead); err != nil {
			return 0, err
		}
		index[k] = s
		sets = append(sets, set)
		if int(s)%pageStates == 0 {
			pages = append(pages, make([]int32, pageStates*stride))
		}
		win := int32(-1)
		d.accOff = append(d.accOff, int32(len(accAll)))
		last := int32(-1)
		for _, id := range set {
			if a.accept[id] {
				u := a.unitOf[id]
				if win < 0 {
					win = u
				}
				if closest && u != last {
					accAll = append(accAll, u)
					last = u
				}
			}
		}
		d.acc = append(d.acc, win)
		if closest {
			if err := b.spend(4 * (len(accAll) - int(d.accOff[s]))); err != nil {
				return 0, err
			}
		}
		return s, nil
	}
	if _, err := add(nil); err != nil { // dead state 0
		return nil, err
	}
	var start []int32
	id := int32(0)
	for _, u := range units {
		for q := id; q <= a.closeEnd[id]; q++ {
			start = append(start, q)
		}
		id += int32(len(u.elems) + 1)
	}
	if _, err := add(prune(start)); err != nil {
		return nil, err
	}
	var buckets [nsym][]int32
	for s := 1; s < len(sets); s++ {
		set := sets[s]
		if err := b.do(len(set)); err != nil {
			return nil, err
		}
		for k := range buckets {
			buckets[k] = buckets[k][:0]
		}
		for _, id := range set {
			sy := a.set[id]
			if sy == 0 {
				continue
			}
			t := id
			if !a.star[id] {
				t = id + 1
			}
			end := a.closeEnd[t]
			for m := sy; m != 0; m &= m - 1 {
				k := bits.TrailingZeros16(uint16(m))
				for q := t; q <= end; q++ {
					buckets[k] = append(buckets[k], q)
				}
			}
		}
		for k := range buckets {
			b := buckets[k]
			if len(b) == 0 {
				continue // dead
			}
			slices.Sort(b)
			b = prune(slices.Compact(b))
			next, err := add(append([]int32(nil), b...))
			if err != nil {
				return nil, err
			}
			pages[s/pageStates][(s%pageStates)<<4|k] = next
		}
		sets[s] = nil // processed; only the index keeps its key
	}
	d.trans = make([]int32, len(sets)*stride)
	for i, p := range pages {
		copy(d.trans[i*pageStates*stride:], p)
	}
	d.accOff = append(d.accOff, int32(len(accAll)))
	d.accList = accAll
	if !closest {
		d.accOff, d.accList = nil, nil
	}
	return d, nil
}

// closestCounts returns, for each unit u and length n in 0..maxN, how many
// numbers of n keys u matches (float64: exact up to 2^53, then the nearest
// value; ordering between different counts is kept).
func closestCounts(units []unit, maxN int, b *budget) ([]float64, error) {
	if err := b.spend(8 * len(units) * (maxN + 1)); err != nil {
		return nil, err
	}
	out := make([]float64, len(units)*(maxN+1))
	for ui := range units {
		if err := b.do(len(units[ui].elems) * (maxN + 1)); err != nil {
			return nil, err
		}
		d, err := buildDFA(units[ui:ui+1], false, MaxStates, b.fresh())
		if err == ErrInterrupted {
			return nil, err
		}
		if err != nil {
			// One row alone is too large to count: the whole table was
			// built first, and a row's own automaton is no larger, so
			// this does not happen; the row counts as matching nothing.
			continue
		}
		ns := len(d.acc)
		ways := make([]float64, ns)
		next := make([]float64, ns)
		ways[1] = 1
		for n := 0; n <= maxN; n++ {
			var c float64
			for s := 1; s < ns; s++ {
				if d.acc[s] >= 0 {
					c += ways[s]
				}
			}
			out[ui*(maxN+1)+n] = c
			clear(next)
			for s := 1; s < ns; s++ {
				if ways[s] == 0 {
					continue
				}
				for k := 0; k < nsym; k++ {
					next[d.trans[s<<4|k]] += ways[s]
				}
			}
			ways, next = next, ways
		}
	}
	return out, nil
}
