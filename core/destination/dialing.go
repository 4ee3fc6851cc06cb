package destination

import (
	"errors"
	"math"
	"slices"
	"strconv"
)

// Keypad symbols, numbered as core/dialplan numbers them: digits 0..9,
// then '*', '#', '+'.
const (
	NumSymbols = 13
	symStar    = 10
	symHash    = 11
	symPlus    = 12
)

const (
	clsSep     int8 = -1
	clsInvalid int8 = -2
)

// symClass is core/dialplan's normalization: digits * # + kept,
// separators (space, tab, - ( ) .) dropped, anything else invalid.
var symClass = func() (t [256]int8) {
	for i := range t {
		t[i] = clsInvalid
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = int8(c - '0')
	}
	t['*'], t['#'], t['+'] = symStar, symHash, symPlus
	for _, c := range " -().\t" {
		t[c] = clsSep
	}
	return t
}()

// Options say how a site dials and how it tiers destinations.
type Options struct {
	// Country is the home region code ("US", "GB"): its international
	// prefixes (011; 00) and trunk prefix (1; 0) are the ones removed.
	Country string
	// Access are the codes that reach an outside line (9, and 99 9 for a
	// second trunk). A number that starts with none of them (and not with
	// +) is internal. Empty: numbers are dialed as they are.
	Access []string
	// Types and Countries override the default tier of a number type or
	// of a country (region code, or "001" for the networks); Default, when
	// set, is the tier of a foreign country nothing else names (default
	// Medium). See Tier for how they combine.
	Types     map[Type]Tier
	Countries map[string]Tier
	Default   *Tier
	// NationalOnly makes international routes into the home calling code
	// (+1 and 011 1 from the US) unknown, so that lint can ask what the
	// national routes alone reach (the North American plan's hole).
	NationalOnly bool
}

// Dialing classifies numbers as one site dials them. It is immutable.
type Dialing struct {
	t        *Table
	home     int32 // region index
	homeCC   uint16
	base     int32 // first front state: states below are the table's
	start    int32
	front    []int32 // front[(s-base)<<4|sym]
	frontOut []int32
	tiers    []Tier // per class
	byType   []bool // the class's tier comes from its type (else its country)
}

// ErrOptions is wrapped by Dialing's errors.
var ErrOptions = errors.New("destination options")

type optionsError struct{ msg string }

func (e *optionsError) Error() string { return e.msg }
func (e *optionsError) Unwrap() error { return ErrOptions }

// frozen is the state id that stays in class c whatever follows.
func (t *Table) frozen(c int32) int32 { return int32(len(t.out)) + c }

// step is the transition of a table state (an automaton state or a
// frozen class) on symbol k. '#' ends dialing: the class is kept. '*' or
// '+' inside a national number makes it unknown.
func (t *Table) step(s int32, k int) int32 {
	g := int32(len(t.out))
	if s >= g {
		return s
	}
	if k < 10 {
		return t.trans[s*10+int32(k)]
	}
	if k == symHash {
		return g + t.out[s]
	}
	return g + t.ccUnk[t.classes[t.out[s]].cc]
}

// Dialing returns the classifier for a site that dials as o says.
func (t *Table) Dialing(o Options) (*Dialing, error) {
	hi, ok := t.byCode[o.Country]
	if !ok || o.Country == NonGeographic {
		return nil, &optionsError{"destination: unknown country " + quote(o.Country) + " (an ISO 3166 region code libphonenumber knows, such as US or GB)"}
	}
	for _, a := range o.Access {
		if a == "" || len(a) > 32 {
			return nil, &optionsError{"destination: an access code is 1 to 32 keys"}
		}
		for i := 0; i < len(a); i++ {
			if symClass[a[i]] < 0 {
				return nil, &optionsError{"destination: access code " + quote(a) + " holds a byte that is not a key (digits * # +)"}
			}
		}
	}
	d := &Dialing{t: t, home: int32(hi), homeCC: t.regions[hi].cc}
	if err := d.setTiers(o); err != nil {
		return nil, err
	}
	d.build(o)
	return d, nil
}

// trie is the route table of the front of the automaton: every way a
// number can begin (access code, + or international prefix and calling
// code, trunk prefix), each with a priority (its index: lower wins) and
// the state its remainder starts in.
type trie struct {
	child [][NumSymbols]int32
	here  []int32 // priority of the route ending at the node, MaxInt32 if none
	below []int32 // best priority strictly below the node
	conts []int32 // start state of each route, by priority
}

func (r *trie) node() int32 {
	var c [NumSymbols]int32
	for i := range c {
		c[i] = -1
	}
	r.child = append(r.child, c)
	r.here = append(r.here, math.MaxInt32)
	r.below = append(r.below, math.MaxInt32)
	return int32(len(r.child) - 1)
}

func (r *trie) add(prefix string, cont int32) {
	n := int32(0)
	for i := 0; i < len(prefix); i++ {
		k := symClass[prefix[i]]
		if r.child[n][k] < 0 {
			c := r.node()
			r.child[n][k] = c
		}
		n = r.child[n][k]
	}
	if r.here[n] == math.MaxInt32 { // an earlier route with this prefix wins
		r.here[n] = int32(len(r.conts))
	}
	r.conts = append(r.conts, cont)
}

func (r *trie) fillBelow(n int32) int32 {
	best := int32(math.MaxInt32)
	for _, c := range r.child[n] {
		if c >= 0 {
			best = min(best, r.fillBelow(c), r.here[c])
		}
	}
	r.below[n] = best
	return best
}

// build lays the routes out in priority order and turns their trie into
// the front states. The order is the dialing rule: a + (dialed without an
// access code, as E.164 numbers are) or an access code and an
// international prefix followed by a calling code first (a longer
// prefix before a shorter), then an international prefix followed by a
// digit that starts no calling code (unknown country), then the trunk
// prefix, then the national number as dialed; the longest access code
// first; with access codes, a number that has none is internal.
func (d *Dialing) build(o Options) {
	t := d.t
	home := t.regions[d.home]
	r := &trie{}
	r.node()
	unknownCC := t.frozen(t.classUnknownCountry())
	// intlTo adds the routes of an international prefix: one per calling
	// code, then the digits 1..9 that start no calling code (unknown
	// country). A + is international whatever follows; after an
	// international prefix a 0 starts no calling code, and the number
	// falls to the national routes (as libphonenumber reads it).
	intlTo := func(prefix string, plus bool) {
		for _, cc := range t.codes {
			cont := t.ccRoot[cc]
			if o.NationalOnly && cc == d.homeCC {
				cont = t.frozen(t.ccUnk[cc])
			}
			r.add(prefix+strconv.Itoa(int(cc)), cont)
		}
		for c := byte('1'); c <= '9'; c++ {
			r.add(prefix+string(c), unknownCC)
		}
		if plus {
			r.add(prefix, unknownCC)
		}
	}
	intl := slices.Clone(home.intl)
	slices.SortStableFunc(intl, func(a, b string) int { return len(b) - len(a) })
	access := slices.Clone(o.Access)
	slices.SortStableFunc(access, func(a, b string) int { return len(b) - len(a) })
	if len(access) == 0 {
		access = []string{""}
	}
	intlTo("+", true) // E.164 dialing, without an access code
	for _, a := range access {
		for _, p := range intl {
			intlTo(a+p, false)
		}
		if home.nat != "" {
			r.add(a+home.nat, t.ccRoot[d.homeCC])
		}
		r.add(a, t.ccRoot[d.homeCC])
	}
	r.add("", t.frozen(t.classInternal())) // no access code: internal
	r.fillBelow(0)
	d.base = int32(len(t.out) + len(t.classes))
	ids := make([]int32, len(r.child))
	for i := range ids {
		ids[i] = -1
	}
	// Each trie node is reached by one string, so a depth-first walk that
	// carries the best completed route (its priority, and its state
	// advanced by the keys read since) visits every front state once.
	var visit func(n, bp, cont int32)
	visit = func(n, bp, cont int32) {
		id := int32(len(d.frontOut))
		ids[n] = id
		d.frontOut = append(d.frontOut, d.class(cont))
		d.front = append(d.front, make([]int32, 16)...)
		for k := 0; k < NumSymbols; k++ {
			c := r.child[n][k]
			nbp, ncont := bp, t.step(cont, k)
			if c >= 0 && r.here[c] < nbp {
				nbp, ncont = r.here[c], r.conts[r.here[c]]
			}
			if c >= 0 && r.below[c] < nbp {
				visit(c, nbp, ncont)
				d.front[id<<4|int32(k)] = d.base + ids[c]
			} else {
				d.front[id<<4|int32(k)] = ncont
			}
		}
	}
	visit(0, r.here[0], r.conts[r.here[0]])
	d.start = d.base
}

// Table is the table d classifies with.
func (d *Dialing) Table() *Table { return d.t }

// Country is d's home region code.
func (d *Dialing) Country() string { return d.t.regions[d.home].code }

// Start is the automaton's start state.
func (d *Dialing) Start() int32 { return d.start }

// States is one more than the largest state id (for sizing visited sets).
func (d *Dialing) States() int32 { return d.base + int32(len(d.frontOut)) }

// Step is the transition of state s on keypad symbol k (0..12).
func (d *Dialing) Step(s int32, k int) int32 {
	if s >= d.base {
		return d.front[(s-d.base)<<4|int32(k)]
	}
	return d.t.step(s, k)
}

// Class is the class id of the number read when in state s.
func (d *Dialing) Class(s int32) int32 {
	if s >= d.base {
		return d.frontOut[s-d.base]
	}
	return d.class(s)
}

func (d *Dialing) class(s int32) int32 {
	if g := int32(len(d.t.out)); s >= g {
		return s - g
	}
	return d.t.out[s]
}

// Classify returns the class id of a dialed number: raw bytes, separators
// allowed, as a restriction table reads them; ok is false when a byte is
// not a key or a separator. One pass, no allocation.
func (d *Dialing) Classify(number []byte) (int32, bool) { return classify(d, number) }

// ClassifyString is Classify for a string.
func (d *Dialing) ClassifyString(number string) (int32, bool) { return classify(d, number) }

func classify[S string | []byte](d *Dialing, number S) (int32, bool) {
	s, base, front := d.start, d.base, d.front
	i := 0
	for ; i < len(number); i++ {
		k := symClass[number[i]]
		if k < 0 {
			if k == clsSep {
				continue
			}
			return -1, false
		}
		s = front[(s-base)<<4|int32(k)]
		if s < base {
			i++
			break
		}
	}
	if s >= base {
		return d.frontOut[s-base], true
	}
	t := d.t
	trans, g := t.trans, int32(len(t.out))
	for ; i < len(number); i++ {
		k := symClass[number[i]]
		switch {
		case k < 0:
			if k == clsSep {
				continue
			}
			return -1, false
		case s >= g: // frozen: the rest is only checked
		case k < 10:
			s = trans[s*10+int32(k)]
		default:
			s = t.step(s, int(k))
		}
	}
	if s >= g {
		return s - g, true
	}
	return t.out[s], true
}

// Destination describes class c.
func (d *Dialing) Destination(c int32) Destination { return d.t.Destination(c) }

// CallingCodeName is Table.CallingCodeName.
func (d *Dialing) CallingCodeName(cc int) string { return d.t.CallingCodeName(cc) }

// Tier is the tier of class c: the higher of its type's tier and its
// country's tier. A type's tier is Options.Types' or the default
// (DefaultTypeTier). A country's is, in order: Options.Countries', Low for
// the home country, the default high-risk list's (DefaultHighCountries),
// Low for another country of the home calling code, else Options.Default
// (Medium). An internal number is Low.
func (d *Dialing) Tier(c int32) Tier {
	if c < 0 || int(c) >= len(d.tiers) {
		return High
	}
	return d.tiers[c]
}

// TierByType reports whether class c's tier comes from its number type
// (premium rate, say) rather than its country.
func (d *Dialing) TierByType(c int32) bool {
	if c < 0 || int(c) >= len(d.byType) {
		return false
	}
	return d.byType[c]
}
