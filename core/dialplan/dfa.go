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
func buildDFA(units []unit, closest bool, limit int) (*dfa, error) {
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
	add := func(set []int32) (int32, error) {
		k := key(set)
		if s, ok := index[k]; ok {
			return s, nil
		}
		s := int32(len(sets))
		if int(s) >= limit {
			return 0, errors.New("more than " + strconv.Itoa(limit) + " automaton states (rows with * or ! before the end multiply states); split the table or simplify those rows")
		}
		index[k] = s
		sets = append(sets, set)
		d.trans = append(d.trans, make([]int32, stride)...)
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
			d.trans[s<<4|k] = next
		}
		sets[s] = nil // processed; only the index keeps its key
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
func closestCounts(units []unit, maxN int) []float64 {
	out := make([]float64, len(units)*(maxN+1))
	for ui := range units {
		d, err := buildDFA(units[ui:ui+1], false, MaxStates)
		if err != nil {
			continue // cannot happen for one unit of bounded length
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
	return out
}
