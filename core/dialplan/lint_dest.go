package dialplan

import (
	"slices"
	"strings"

	"github.com/tollgate/tollgate/core/destination"
)

// Bounds of the destination checks.
const (
	// maxTierFindings bounds high_tier_allowed findings per table (one
	// per reason: a number type or a country).
	maxTierFindings = 8
	// maxShadowRows bounds how many blocked rows risky_block_shadowed
	// examines per table.
	maxShadowRows = 64
	// destWork bounds the (table, destination) state pairs one search
	// visits; past it lint says not_analyzed.
	destWork = 4_000_000
)

// destGoal picks the numbers a search looks for: the key (>= 0) a
// class counts under, or -1 for a class that is not a goal.
type destGoal func(c int32) int

// destWitness is one number a search found: its keys, class, and the
// table row that allowed it.
type destWitness struct {
	number string
	class  int32
	row    int
}

// destSearch explores (table state, row state, destination state) by
// number length, up to max_digits, and returns for each goal key the
// shortest (then smallest) number the table allows within min..max digits
// whose destination is a goal, in the order found. With row non-nil the
// number must also match that automaton (a row's own pattern). It stops
// at limit keys; overrun reports that destWork pairs did not suffice.
func (l *linter) destSearch(d *dfa, row *dfa, dd *destination.Dialing, goal destGoal, limit int) (found []destWitness, overrun bool) {
	t := l.t
	// Destination states from which no goal class is reachable, and
	// table states from which no allowed verdict is, are pruned.
	live := destLive(dd, goal)
	allowable := l.allowable(d)
	type node struct {
		ta, tb, ds int32
		parent     int32
		sym        int8
	}
	nodes := []node{{ta: 1, tb: 1, ds: dd.Start(), parent: -1, sym: -1}}
	layer := []int32{0}
	keys := map[int]bool{}
	work := 0
	for n := 0; n <= t.maxDigits && len(layer) > 0; n++ {
		for _, i := range layer {
			nd := nodes[i]
			if !l.inRange(n) || (row != nil && row.acc[nd.tb] < 0) {
				continue
			}
			c := dd.Class(nd.ds)
			k := goal(c)
			if k < 0 || keys[k] {
				continue
			}
			ok, r := l.verdict(d, nd.ta, n)
			if !ok {
				continue
			}
			var w []byte
			for j := i; nodes[j].parent >= 0; j = nodes[j].parent {
				w = append(w, symByte[nodes[j].sym])
			}
			slices.Reverse(w)
			keys[k] = true
			found = append(found, destWitness{number: string(w), class: c, row: int(r)})
			if len(found) >= limit {
				return found, false
			}
		}
		if n == t.maxDigits {
			break
		}
		type key struct{ ta, tb, ds int32 }
		seen := map[key]bool{}
		var next []int32
		for _, i := range layer {
			nd := nodes[i]
			for k := 0; k < nsym; k++ {
				ta := d.trans[nd.ta<<4|int32(k)]
				if !allowable[ta] {
					continue
				}
				tb := int32(1)
				if row != nil {
					if tb = row.trans[nd.tb<<4|int32(k)]; tb == 0 {
						continue
					}
				}
				ds := dd.Step(nd.ds, k)
				if !live(ds) {
					continue
				}
				kk := key{ta, tb, ds}
				if seen[kk] {
					continue
				}
				seen[kk] = true
				if work++; work > destWork {
					return found, true
				}
				nodes = append(nodes, node{ta: ta, tb: tb, ds: ds, parent: i, sym: int8(k)})
				next = append(next, int32(len(nodes)-1))
			}
		}
		layer = next
	}
	return found, false
}

// allowable marks the table states from which some continuation is
// allowed (for a closest-match table, every live state: its verdict
// depends on the length).
func (l *linter) allowable(d *dfa) []bool {
	n := len(d.acc)
	ok := make([]bool, n)
	for s := 1; s < n; s++ {
		if l.t.closest {
			ok[s] = true
			continue
		}
		allowed, _ := l.verdict(d, int32(s), l.t.minDigits)
		ok[s] = allowed
	}
	ok[0] = !l.t.noMatchBlocked
	for changed := true; changed; {
		changed = false
		for s := n - 1; s >= 0; s-- {
			if ok[s] {
				continue
			}
			for k := 0; k < nsym; k++ {
				if ok[d.trans[int32(s)<<4|int32(k)]] {
					ok[s], changed = true, true
					break
				}
			}
		}
	}
	return ok
}

// destLive returns whether a goal class is reachable from a destination
// state.
func destLive(dd *destination.Dialing, goal destGoal) func(int32) bool {
	n := dd.States()
	ok := make([]bool, n)
	for s := int32(0); s < n; s++ {
		ok[s] = goal(dd.Class(s)) >= 0
	}
	for changed := true; changed; {
		changed = false
		for s := n - 1; s >= 0; s-- {
			if ok[s] {
				continue
			}
			for k := 0; k < nsym; k++ {
				if ok[dd.Step(s, k)] {
					ok[s], changed = true, true
					break
				}
			}
		}
	}
	return func(s int32) bool { return ok[s] }
}

// unitPattern is the pattern of row r that matches number: the row's
// own, or its twin behind a trunk access code.
func (l *linter) unitPattern(r int, number string) string {
	for _, u := range l.rowUnits(r) {
		d, err := buildDFA([]unit{u}, false, maxStates, l.b.fresh())
		if err != nil {
			continue
		}
		s := int32(1)
		for i := 0; i < len(number); i++ {
			k, _ := symOf(number[i])
			s = d.trans[s<<4|int32(k)]
		}
		if d.acc[s] >= 0 {
			return l.t.Pattern(Result{Row: int32(r), Alt: u.alt})
		}
	}
	return l.t.rows[r].Pattern
}

// matchesAll reports whether automaton d accepts every number.
func matchesAll(d *dfa) bool {
	if d.acc[1] < 0 {
		return false
	}
	for k := 0; k < nsym; k++ {
		if d.trans[1<<4|int32(k)] != 1 {
			return false
		}
	}
	return true
}

// describeClass renders a class for a message: "DO (+1) fixed_or_mobile, tier high".
func describeClass(dd *destination.Dialing, c int32) string {
	dest := dd.Destination(c)
	where := dest.Country
	if where == destination.NonGeographic {
		where = "an international network"
	}
	if dest.CallingCode > 0 {
		where += " (+" + itoa(dest.CallingCode) + ")"
	}
	return strings.TrimSpace(where) + " " + dest.Type.String() + ", tier " + dd.Tier(c).String()
}

// validNumber reports whether class c is a complete, valid number abroad or at
// home: lint's examples are numbers that reach somewhere.
func validNumber(dd *destination.Dialing, c int32) bool {
	ty := dd.Destination(c).Type
	return ty != destination.Unknown && ty != destination.Internal
}

func (l *linter) addDest(code string, sev Severity, row int, dd *destination.Dialing, w destWitness, tmpl string, args ...string) *Finding {
	f := l.add(code, sev, row, tmpl, args...)
	f.Example = w.number
	f.Destination = destinationOf(dd, w.class)
	f.HasDestination = true
	return f
}

// destinations runs the destination checks on the table's automaton d.
func (l *linter) destinations() {
	s, t := l.s, l.t
	if s.dest == nil || len(t.segs) != 1 || t.segs[0].dfa == nil {
		return
	}
	dd := s.dest.d
	d := t.segs[0].dfa
	if len(d.acc)*(t.maxDigits+1) > lintWork/nsym {
		return // run said not_analyzed
	}
	stopped := false
	reported := map[string]bool{} // countries nanp_international named
	if tab := dd.Table(); tab.CallingCode(dd.Country()) == 1 && t.Reach() < destination.High {
		o := s.dest.opts
		o.NationalOnly = true
		nat, err := tab.Dialing(o)
		if err == nil {
			home := dd.Country()
			idx := map[string]int{}
			goal := func(c int32) int {
				dest := nat.Destination(c)
				if dest.CallingCode != 1 || dest.Country == home || !validNumber(nat, c) || nat.Tier(c) < destination.High || nat.TierByType(c) {
					return -1
				}
				if _, ok := idx[dest.Country]; !ok {
					idx[dest.Country] = len(idx)
				}
				return idx[dest.Country]
			}
			found, over := l.destSearch(d, nil, nat, goal, 64)
			stopped = stopped || over
			if len(found) > 0 {
				w := found[0]
				var others []string
				for _, x := range found {
					reported[nat.Destination(x.class).Country] = true
					if x.class != w.class && nat.Destination(x.class).Country != nat.Destination(w.class).Country {
						others = append(others, nat.Destination(x.class).Country)
					}
				}
				slices.Sort(others)
				also := ""
				if len(others) > 0 {
					also = "; other +1 countries it reaches the same way: " + strings.Join(others, " ")
				}
				block := w.number
				if len(block) > 7 {
					block = block[:len(block)-7] + "*"
				}
				l.addDest(LintNANPInternational, SevError, w.row, nat, w, "% is allowed: it reaches %, another country of the North American plan, dialed like domestic long distance and charged as international (block % and the other area codes docs/destinations.md lists)%", w.number, describeClass(nat, w.class), block, also)
			}
		}
	}
	if t.Reach() < destination.High {
		keys := map[string]int{}
		goal := func(c int32) int {
			dest := dd.Destination(c)
			if !validNumber(dd, c) || dd.Tier(c) < destination.High {
				return -1
			}
			k := "country " + dest.Country
			if dd.TierByType(c) {
				k = "type " + dest.Type.String()
			} else if reported[dest.Country] {
				return -1
			}
			if _, ok := keys[k]; !ok {
				keys[k] = len(keys)
			}
			return keys[k]
		}
		found, over := l.destSearch(d, nil, dd, goal, maxTierFindings)
		stopped = stopped || over
		for _, w := range found {
			why := "its country"
			if dd.TierByType(w.class) {
				why = "its number type"
			}
			l.addDest(LintHighTierAllowed, SevError, w.row, dd, w, "% is allowed: % (high by %), above the table's reach % (set \"reach\": \"high\" if the table is meant to reach it)", w.number, describeClass(dd, w.class), why, t.Reach().String())
		}
	}
	if t.Reach() == destination.Low {
		goal := func(c int32) int {
			if validNumber(dd, c) && dd.Tier(c) == destination.Medium {
				return 0
			}
			return -1
		}
		found, over := l.destSearch(d, nil, dd, goal, 1)
		stopped = stopped || over
		for _, w := range found {
			l.addDest(LintMediumTierAllowed, SevWarning, w.row, dd, w, "% is allowed: %, above the table's reach low", w.number, describeClass(dd, w.class))
		}
	}
	// An allowed row that catches numbers of a high-tier destination that
	// a later row blocks: the block is partly dead.
	examined := 0
	for r := range t.rows {
		if !t.rows[r].Blocked || t.rows[r].Regex || examined >= maxShadowRows {
			continue
		}
		examined++
		own, err := buildDFA(l.rowUnits(r), false, maxStates, l.b.fresh())
		if err != nil || matchesAll(own) {
			continue // a catch-all (the final *) blocks no destination in particular
		}
		goal := func(c int32) int {
			if validNumber(dd, c) && dd.Tier(c) >= destination.High {
				return 0
			}
			return -1
		}
		found, over := l.destSearch(d, own, dd, goal, 1)
		stopped = stopped || over
		for _, w := range found {
			if w.row < 0 || w.row >= r {
				continue // allowed by no_match, not by a row above
			}
			f := l.addDest(LintRiskyBlockShadowed, SevError, r, dd, w, "row % (%) blocks % (%), but row % (%) allows it first", itoa(r), quote(l.unitPattern(r, w.number)), w.number, describeClass(dd, w.class), itoa(w.row), quote(t.rows[w.row].Pattern))
			f.ShadowedBy = w.row
		}
	}
	if stopped {
		l.add(LintNotAnalyzed, SevInfo, -1, "the destination checks stopped after % automaton state pairs; their findings may be incomplete", itoa(destWork))
	}
}
