package dialplan

import (
	"slices"
	"strconv"
	"strings"
)

// Severity of a lint finding. A finding of severity error makes
// `tollgate lint` exit 1.
type Severity string

const (
	SevError   Severity = "error"
	SevWarning Severity = "warning"
	SevInfo    Severity = "info"
)

// Lint codes. Stable: never renamed.
const (
	LintShadowedRow          = "shadowed_row"
	LintRowNeverMatches      = "row_never_matches"
	LintFinalRowAllowed      = "final_row_allowed"
	LintNoInternationalBlock = "no_international_block"
	LintNoOperatorBlock      = "no_operator_block"
	LintTrunkCodeBypass      = "trunk_code_bypass"
	LintMaxDigitsLarge       = "max_digits_large"
	LintSystemTransferOpen   = "system_transfer_open"
	LintPatternTooLong       = "pattern_too_long"
	LintTooManyRows          = "too_many_rows"
	LintSuffixBypass         = "suffix_bypass"
	LintTableUnused          = "table_unused"
	LintNotAnalyzed          = "not_analyzed"
	// The destination checks (lint_dest.go; a document with a region).
	LintNANPInternational  = "nanp_international"
	LintHighTierAllowed    = "high_tier_allowed"
	LintMediumTierAllowed  = "medium_tier_allowed"
	LintRiskyBlockShadowed = "risky_block_shadowed"
)

// Limits lint checks against.
const (
	CiscoMaxPattern = 40 // characters in a Unity Connection restriction pattern
	CiscoMaxRows    = 50 // dial strings in a Unity Connection 15 table
	// LargeMaxDigits: an E.164 number has at most 15 digits; with an access
	// code and an international prefix a real number has at most 20 keys.
	LargeMaxDigits = 20
	// lintWork bounds the automaton work of the exact checks of one table
	// (states x probe states x lengths); past it lint says not_analyzed.
	lintWork = 50_000_000
)

// Finding is one lint result. Row is -1 for a table- or set-level finding;
// ShadowedBy is the row that shadows Row (shadowed_row), else -1.
type Finding struct {
	Code       string
	Severity   Severity
	Table      string
	Row        int
	ShadowedBy int
	Message    string
	// The destination findings (lint_dest.go) also give their example
	// number and where it goes.
	HasDestination bool
	Example        string
	Destination    Destination
}

// Lint checks every table of s. Shadowing, probes and bypasses are decided
// exactly on the automata (language inclusion and intersection), and each
// finding that concerns numbers gives one shortest example.
func Lint(s *Set) []Finding {
	out, _ := LintOptions(s, Options{})
	return out
}

// LintOptions is Lint with options; its only error is ErrInterrupted.
func LintOptions(s *Set, o Options) ([]Finding, error) {
	var out []Finding
	used := map[string]bool{}
	sysTables := map[string]bool{}
	for _, c := range s.classes {
		for _, f := range features {
			if name, _ := c.Table(f); name != "" {
				used[name] = true
			}
		}
		if c.SystemTransfer != "" {
			sysTables[c.SystemTransfer] = true
		}
	}
	if len(s.classes) == 0 {
		for _, t := range s.tables {
			if strings.Contains(strings.ToLower(t.name), "system transfer") {
				sysTables[t.name] = true
			}
		}
	}
	for _, t := range s.tables {
		l := &linter{s: s, t: t, b: newBudget(o.Interrupt)}
		l.run(sysTables[t.name])
		if l.err == nil {
			l.destinations()
		}
		if l.err != nil {
			return nil, l.err
		}
		if len(s.classes) > 0 && !used[t.name] {
			l.add(LintTableUnused, SevInfo, -1, "no class of service links this table")
		}
		out = append(out, l.out...)
	}
	return out, nil
}

type linter struct {
	s   *Set
	t   *Table
	out []Finding
	b   *budget // each check's automaton gets b.fresh()
	err error   // ErrInterrupted: the findings are abandoned
}

// build is buildDFA for one lint check; an interruption is kept in l.err
// and fails the check, as a too-large automaton does.
func (l *linter) build(units []unit, closest bool) (*dfa, error) {
	d, err := buildDFA(units, closest, maxStates, l.b.fresh())
	if err == ErrInterrupted {
		l.err = err
	}
	return d, err
}

// add records a finding whose message is tmpl with each % replaced by the
// next of args. (Concatenation would make every literal piece an operand
// and cost the WebAssembly module about twice the code.)
func (l *linter) add(code string, sev Severity, row int, tmpl string, args ...string) *Finding {
	n := len(tmpl)
	for _, a := range args {
		n += len(a)
	}
	b := make([]byte, 0, n)
	for _, a := range args {
		i := strings.IndexByte(tmpl, '%')
		if i < 0 {
			break
		}
		b = append(b, tmpl[:i]...)
		b = append(b, a...)
		tmpl = tmpl[i+1:]
	}
	b = append(b, tmpl...)
	l.out = append(l.out, Finding{Code: code, Severity: sev, Table: l.t.name, Row: row, ShadowedBy: -1, Message: string(b)})
	return &l.out[len(l.out)-1]
}

func (l *linter) run(systemTransfer bool) {
	t := l.t
	if len(t.rows) > CiscoMaxRows {
		l.add(LintTooManyRows, SevWarning, -1, "% rows; Unity Connection 15 holds at most % dial strings per table", itoa(len(t.rows)), itoa(CiscoMaxRows))
	}
	for i, r := range t.rows {
		if len(r.Pattern) > CiscoMaxPattern {
			l.add(LintPatternTooLong, SevError, i, "pattern is % characters; Unity Connection accepts at most %", itoa(len(r.Pattern)), itoa(CiscoMaxPattern))
		}
	}
	if t.maxDigits > LargeMaxDigits {
		l.add(LintMaxDigitsLarge, SevWarning, -1, "max_digits is %; no real number needs more than % keys, and the extra room lets trailing keys (# or digits) slip past anchored patterns", itoa(t.maxDigits), itoa(LargeMaxDigits))
	}
	last := len(t.rows) - 1
	if t.dialect == DialectCUC && !t.rows[last].Blocked {
		l.add(LintFinalRowAllowed, SevWarning, last, "the final * row is allowed: every number no row above blocks goes through")
	} else if t.dialect != DialectCUC && !t.noMatchBlocked {
		l.add(LintFinalRowAllowed, SevWarning, -1, "no_match is allowed: every number no row blocks goes through")
	}
	if len(t.segs) != 1 || t.segs[0].dfa == nil {
		l.add(LintNotAnalyzed, SevInfo, -1, "the table has regular-expression rows; shadowing, probes and bypasses are only decided for automaton rows")
		return
	}
	d := t.segs[0].dfa
	if len(d.acc)*(t.maxDigits+1) > lintWork/nsym {
		l.add(LintNotAnalyzed, SevInfo, -1, "the table's automaton (% states) is too large for the exact checks", itoa(len(d.acc)))
		return
	}
	l.shadowing(d)
	if l.err != nil {
		return
	}
	for _, a := range l.s.outside {
		if w, ok := l.probe(d, a, "0"); ok {
			l.add(LintNoOperatorBlock, SevError, -1, "the operator is reachable with access code %: % is allowed (block %0 and %00*)", a, w, a, a)
		} else if w, ok := l.probe(d, a, "00X?"); ok {
			l.add(LintNoOperatorBlock, SevError, -1, "the international operator is reachable with access code %: % is allowed (block %00*)", a, w, a)
		}
		if w, ok := l.probe(d, a, "011XXXXXXXX?"); ok { // 011 and 7 or more digits
			l.add(LintNoInternationalBlock, SevWarning, -1, "international numbers are allowed with access code %: % (block %011*)", a, w, a)
		}
		if systemTransfer {
			if w, ok := l.probe(d, a, "!"); ok {
				l.add(LintSystemTransferOpen, SevError, -1, "callers' system transfers reach outside lines: % is allowed; a system-transfer table should allow only chosen internal numbers", w)
			}
		}
	}
	if w, ok := l.probe(d, `\+`, "XXXXXXXX?"); ok { // + and 7 or more digits
		l.add(LintNoInternationalBlock, SevWarning, -1, "E.164 numbers with + are allowed: % (block +*)", w)
	}
	for _, c := range l.s.trunk {
		if w, row, ok := l.bypass(d, c); ok {
			l.add(LintTrunkCodeBypass, SevError, row, "row % blocks % but %% is allowed: an earlier row lets trunk access code % through", itoa(row), w, c, w, c)
		}
	}
	l.suffix(d)
}

// verdict is the table's decision in state s after n keys: allowed, the
// deciding row (-1 for no match).
func (l *linter) verdict(d *dfa, s int32, n int) (bool, int32) {
	u := l.t.winner(d, s, n)
	if u < 0 {
		return !l.t.noMatchBlocked, -1
	}
	row := l.t.units[u].row
	return !l.t.rows[row].Blocked, row
}

func (l *linter) inRange(n int) bool { return n >= l.t.minDigits && n <= l.t.maxDigits }

// shadowing finds rows that decide no number within min/max digits.
func (l *linter) shadowing(d *dfa) {
	t := l.t
	wins := make([]bool, len(t.rows))
	cur := []int32{1}
	seen := make([]int32, len(d.acc)) // layer+1 at which a state was queued
	for n := 0; n <= t.maxDigits && len(cur) > 0; n++ {
		var next []int32
		for _, s := range cur {
			if n >= t.minDigits {
				if u := t.winner(d, s, n); u >= 0 {
					wins[t.units[u].row] = true
				}
			}
			for k := 0; k < nsym; k++ {
				ns := d.trans[s<<4|int32(k)]
				if ns != 0 && seen[ns] != int32(n+2) {
					seen[ns] = int32(n + 2)
					next = append(next, ns)
				}
			}
		}
		cur = next
	}
	attributed := 0
	for r, w := range wins {
		if w || t.rows[r].Regex {
			continue
		}
		own := l.rowUnits(r)
		od, err := l.build(own, false)
		if l.err != nil {
			return
		}
		if err != nil {
			continue
		}
		if _, ok := searchDFA(od, 1, nil, 0, t.maxDigits, func(a, _ int32, n int) bool { return l.inRange(n) && od.acc[a] >= 0 }); !ok {
			l.add(LintRowNeverMatches, SevWarning, r, "row % (%) matches no number of % to % keys", itoa(r), quote(t.rows[r].Pattern), itoa(t.minDigits), itoa(t.maxDigits))
			continue
		}
		if attributed >= maxAttributions {
			l.add(LintShadowedRow, SevWarning, r, "row % (%) is never reached: the rows above it match every number it matches", itoa(r), quote(t.rows[r].Pattern))
			continue
		}
		attributed++
		// The rows that decide the numbers row r matches: one of them may
		// cover r alone; otherwise they cover it together.
		winners := l.winnersOn(d, od)
		by := -1
		if len(winners) == 1 {
			by = winners[0]
		} else {
			for k := len(winners) - 1; k >= 0 && by < 0 && k >= len(winners)-8; k-- {
				if l.covers(winners[k], r) {
					by = winners[k]
				}
			}
		}
		if by >= 0 {
			f := l.add(LintShadowedRow, SevWarning, r, "row % (%) is never reached: row % (%) matches every number it matches", itoa(r), quote(t.rows[r].Pattern), itoa(by), quote(t.rows[by].Pattern))
			f.ShadowedBy = by
		} else {
			l.add(LintShadowedRow, SevWarning, r, "row % (%) is never reached: rows % together match every number it matches", itoa(r), quote(t.rows[r].Pattern), rowList(winners))
		}
	}
}

// maxAttributions bounds how many shadowed rows of one table lint explains
// row by row (each costs a product of automata); the rest are reported
// without naming the rows that shadow them.
const maxAttributions = 100

// itoa is strconv.Itoa kept out of line: inlined at each of lint's
// messages it would cost the module more code than the call.
//
//go:noinline
func itoa(i int) string { return strconv.Itoa(i) }

func rowList(rows []int) string {
	var b strings.Builder
	for i, r := range rows {
		if i == 8 {
			b.WriteString(" and " + itoa(len(rows)-i) + " more")
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(itoa(r))
	}
	return b.String()
}

// winnersOn returns, in row order, the rows of the table that decide the
// numbers (within min/max digits) row automaton od accepts.
func (l *linter) winnersOn(d, od *dfa) []int {
	t := l.t
	seen := map[int]bool{}
	type pair struct{ a, b int32 }
	layer := []pair{{1, 1}}
	for n := 0; n <= t.maxDigits && len(layer) > 0; n++ {
		next := map[pair]bool{}
		var nl []pair
		for _, p := range layer {
			if l.inRange(n) && od.acc[p.b] >= 0 {
				if u := t.winner(d, p.a, n); u >= 0 {
					seen[int(t.units[u].row)] = true
				}
			}
			for k := 0; k < nsym; k++ {
				q := pair{d.trans[p.a<<4|int32(k)], od.trans[p.b<<4|int32(k)]}
				if q.b != 0 && !next[q] {
					next[q] = true
					nl = append(nl, q)
				}
			}
		}
		layer = nl
	}
	rows := make([]int, 0, len(seen))
	for r := range seen {
		rows = append(rows, r)
	}
	slices.Sort(rows)
	return rows
}

// rowUnits returns copies of row r's units (contiguous in t.units).
func (l *linter) rowUnits(r int) []unit {
	us := l.t.units
	i, _ := slices.BinarySearchFunc(us, int32(r), func(u unit, row int32) int { return int(u.row - row) })
	j := i
	for j < len(us) && int(us[j].row) == r {
		j++
	}
	return append([]unit(nil), us[i:j]...)
}

// covers reports whether row i alone matches every number (within min/max
// digits) that row r matches: r never wins in the two-row table [i, r].
func (l *linter) covers(i, r int) bool {
	ui, ur := l.rowUnits(i), l.rowUnits(r)
	for k := range ui {
		ui[k].row = 0
	}
	for k := range ur {
		ur[k].row = 1
	}
	units := append(ui, ur...)
	d, err := l.build(units, l.t.closest)
	if err != nil {
		return false
	}
	sub := &Table{closest: l.t.closest, maxDigits: l.t.maxDigits, units: units}
	if sub.closest {
		if sub.counts, err = closestCounts(units, l.t.maxDigits, l.b.fresh()); err != nil {
			if err == ErrInterrupted {
				l.err = err
			}
			return false
		}
	}
	_, found := searchDFA(d, 1, nil, 0, l.t.maxDigits, func(a, _ int32, n int) bool {
		u := sub.winner(d, a, n)
		return l.inRange(n) && u >= 0 && units[u].row == 1
	})
	return !found
}

// probe looks for an allowed number made of code followed by a cucm
// pattern rest (X digits, ! one or more, X? zero or more).
func (l *linter) probe(d *dfa, code, rest string) (string, bool) {
	var es []elem
	if strings.HasPrefix(code, `\+`) {
		es = append(es, lit('+'))
	} else {
		for i := 0; i < len(code); i++ {
			es = append(es, lit(code[i]))
		}
	}
	tail, err := parseCUCM(rest)
	if err != nil {
		return "", false
	}
	pd, perr := l.build([]unit{{elems: append(es, tail...)}}, false)
	if perr != nil {
		return "", false
	}
	return searchDFA(d, 1, pd, 1, l.t.maxDigits, func(a, b int32, n int) bool {
		if !l.inRange(n) || pd.acc[b] < 0 {
			return false
		}
		ok, _ := l.verdict(d, a, n)
		return ok
	})
}

// bypass looks for a number w that a row blocks while code+w is allowed.
func (l *linter) bypass(d *dfa, code string) (string, int, bool) {
	b0 := int32(1)
	for i := 0; i < len(code); i++ {
		k, _ := symOf(code[i])
		b0 = d.trans[b0<<4|int32(k)]
	}
	c := len(code)
	row := -1
	w, ok := searchDFA(d, 1, d, b0, l.t.maxDigits-c, func(a, b int32, n int) bool {
		if !l.inRange(n) || !l.inRange(n+c) {
			return false
		}
		u := l.t.winner(d, a, n) // a row's own pattern, not a twin, blocks w
		if u < 0 || l.t.units[u].alt != 0 || !l.t.rows[l.t.units[u].row].Blocked {
			return false
		}
		if ok2, _ := l.verdict(d, b, n+c); ok2 {
			row = int(l.t.units[u].row)
			return true
		}
		return false
	})
	return w, row, ok
}

// suffix looks for a number a row blocks that becomes allowed with one more
// key (often #) at its end.
func (l *linter) suffix(d *dfa) {
	reported := map[int32]bool{} // rows reported, or ending in * (open-ended)
	for _, u := range l.t.units {
		if n := len(u.elems); n > 0 && u.elems[n-1].star && u.elems[n-1].set == anySyms {
			reported[u.row] = true
		}
	}
	for k := nsym - 1; k >= 0; k-- { // # and * first: the classic trailing keys
		var row int32
		w, ok := searchDFA(d, 1, nil, 0, l.t.maxDigits-1, func(a, _ int32, n int) bool {
			if !l.inRange(n) || !l.inRange(n+1) {
				return false
			}
			allowed, r := l.verdict(d, a, n)
			if allowed || r < 0 || reported[r] {
				return false
			}
			if ok2, _ := l.verdict(d, d.trans[a<<4|int32(k)], n+1); ok2 {
				row = r
				return true
			}
			return false
		})
		if ok {
			reported[row] = true
			l.add(LintSuffixBypass, SevWarning, int(row), "row % blocks % but %% is allowed: end the pattern with * to block what follows", itoa(int(row)), w, w, string(rune(symByte[k])))
		}
	}
}

// searchDFA explores pairs (state of a, state of b) by number length, up
// to maxN keys, and returns the shortest (then smallest) number w for which
// ok(a-state, b-state, len(w)) holds. With b nil only a is followed.
func searchDFA(a *dfa, a0 int32, b *dfa, b0 int32, maxN int, ok func(sa, sb int32, n int) bool) (string, bool) {
	type node struct {
		sa, sb int32
		parent int32
		sym    int8
	}
	nodes := []node{{sa: a0, sb: b0, parent: -1, sym: -1}}
	layer := []int32{0}
	for n := 0; n <= maxN && len(layer) > 0; n++ {
		for _, i := range layer {
			nd := nodes[i]
			if ok(nd.sa, nd.sb, n) {
				var w []byte
				for j := i; nodes[j].parent >= 0; j = nodes[j].parent {
					w = append(w, symByte[nodes[j].sym])
				}
				for x, y := 0, len(w)-1; x < y; x, y = x+1, y-1 {
					w[x], w[y] = w[y], w[x]
				}
				return string(w), true
			}
		}
		if n == maxN {
			break
		}
		seen := map[uint64]bool{}
		var next []int32
		for _, i := range layer {
			nd := nodes[i]
			for k := 0; k < nsym; k++ {
				sa := a.trans[nd.sa<<4|int32(k)]
				sb := int32(0)
				if b != nil {
					sb = b.trans[nd.sb<<4|int32(k)]
					if sb == 0 && b != a {
						continue // the probe can no longer match
					}
				}
				key := uint64(sa)<<32 | uint64(uint32(sb))
				if seen[key] {
					continue
				}
				seen[key] = true
				nodes = append(nodes, node{sa: sa, sb: sb, parent: i, sym: int8(k)})
				next = append(next, int32(len(nodes)-1))
			}
		}
		layer = next
	}
	return "", false
}
