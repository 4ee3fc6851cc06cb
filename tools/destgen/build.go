package main

import (
	"encoding/binary"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/nyaruka/phonenumbers"

	"github.com/tollgate/tollgate/core/artifact"
	"github.com/tollgate/tollgate/core/destination"
)

// Source names the metadata the artifact is built from; keep it equal to
// go.mod's requirement (a test checks).
const Source = "github.com/nyaruka/phonenumbers v1.8.1"

// ArtifactName is the data artifact's name (core/artifact), Version its
// version: the metadata's (Source's) and the payload's format.
const ArtifactName = "destinations"

var Version = "phonenumbers@" + Source[strings.LastIndexByte(Source, ' ')+1:] + "+format." + strconv.Itoa(destination.Format)

// maxNSN is libphonenumber's longest national significant number.
const maxNSN = phonenumbers.MAX_LENGTH_FOR_NSN

// prefixLimit bounds the strings one alternative of an international
// prefix may expand to (China's carrier-select family has 2 100).
const prefixLimit = 128

// Descriptions in the order libphonenumber's getNumberTypeHelper tests
// them: the general description first, fixed line and mobile last.
const (
	dGeneral = iota
	dPremium
	dTollFree
	dShared
	dVoIP
	dPersonal
	dPager
	dUAN
	dVoicemail
	dFixed
	dMobile
	numDescs
)

// Types as core/destination numbers them (libphonenumber's order).
const (
	tUnknown = iota
	tFixed
	tMobile
	tFixedOrMobile
	tTollFree
	tPremium
	tShared
	tVoIP
	tPersonal
	tPager
	tUAN
	tVoicemail
)

var helperOrder = []struct{ desc, typ int }{
	{dPremium, tPremium}, {dTollFree, tTollFree}, {dShared, tShared}, {dVoIP, tVoIP},
	{dPersonal, tPersonal}, {dPager, tPager}, {dUAN, tUAN}, {dVoicemail, tVoicemail},
}

func descs(m *phonenumbers.PhoneMetadata) [numDescs]*phonenumbers.PhoneNumberDesc {
	return [numDescs]*phonenumbers.PhoneNumberDesc{
		m.GetGeneralDesc(), m.GetPremiumRate(), m.GetTollFree(), m.GetSharedCost(), m.GetVoip(),
		m.GetPersonalNumber(), m.GetPager(), m.GetUan(), m.GetVoicemail(), m.GetFixedLine(), m.GetMobile(),
	}
}

// regionMeta is one region of a calling code, its patterns compiled.
type regionMeta struct {
	code    string
	meta    *phonenumbers.PhoneMetadata
	progs   [numDescs]*prog
	lengths [numDescs][]int32
	leading *prog // leading digits, when the code is shared and the region has them
	same    bool  // same mobile and fixed-line pattern
}

// Output is the generator's result.
type Output struct {
	Artifact []byte
	Doc      []byte
	Stats    Stats
	auto     automaton
}

// automaton is the minimized automaton as written, for the document.
type automaton struct {
	regions []string
	classes []classKey
	out     []int32
	trans   [][10]int32
	root    map[int]int32
}

// Stats are figures for the generated doc and the report.
type Stats struct {
	Regions, Codes, Classes, States, LayeredStates int
	Dropped                                        map[string][]string // region -> international-prefix alternatives left out
}

type classKey struct {
	cc     int
	region int // index into the artifact's region list, -1 none
	typ    int
}

type builder struct {
	regionIndex map[string]int
	classes     map[classKey]int32
	classList   []classKey
	// The layered automaton before minimization.
	out   []int32
	trans [][10]int32
	sink  map[int32]int32 // class -> sink state
}

func (b *builder) class(k classKey) int32 {
	if c, ok := b.classes[k]; ok {
		return c
	}
	c := int32(len(b.classList))
	b.classes[k] = c
	b.classList = append(b.classList, k)
	return c
}

func (b *builder) sinkFor(c int32) int32 {
	if s, ok := b.sink[c]; ok {
		return s
	}
	s := int32(len(b.out))
	b.out = append(b.out, c)
	var t [10]int32
	for i := range t {
		t[i] = s
	}
	b.trans = append(b.trans, t)
	b.sink[c] = s
	return s
}

// Build compiles libphonenumber's metadata into the artifact and its doc.
func Build() (*Output, error) {
	coll, err := phonenumbers.MetadataCollection()
	if err != nil {
		return nil, err
	}
	geo := map[string]*phonenumbers.PhoneMetadata{}
	nonGeo := map[int]*phonenumbers.PhoneMetadata{}
	for _, m := range coll.Metadata {
		if m.GetId() == "001" {
			nonGeo[int(m.GetCountryCode())] = m
		} else {
			geo[m.GetId()] = m
		}
	}
	var codes []int
	for cc := range phonenumbers.GetSupportedCallingCodes() {
		codes = append(codes, cc)
	}
	sort.Ints(codes)
	// Artifact regions: every geographic region, sorted, and 001.
	var regionCodes []string
	for r := range geo {
		regionCodes = append(regionCodes, r)
	}
	regionCodes = append(regionCodes, "001")
	sort.Strings(regionCodes)
	b := &builder{regionIndex: map[string]int{}, classes: map[classKey]int32{}, sink: map[int32]int32{}}
	for i, r := range regionCodes {
		b.regionIndex[r] = i
	}
	st := Stats{Dropped: map[string][]string{}}
	roots := map[int]int32{}
	unknown := map[int]int32{}
	for _, cc := range codes {
		list := phonenumbers.GetRegionCodesForCountryCode(cc)
		var rms []*regionMeta
		for _, rc := range list {
			m := geo[rc]
			if rc == "001" {
				m = nonGeo[cc]
			}
			if m == nil {
				return nil, fmt.Errorf("calling code %d: no metadata for region %s", cc, rc)
			}
			rm := &regionMeta{code: rc, meta: m, same: m.GetSameMobileAndFixedLinePattern()}
			for i, d := range descs(m) {
				p, err := compile(d.GetNationalNumberPattern())
				if err != nil {
					return nil, fmt.Errorf("region %s: %v", rc, err)
				}
				rm.progs[i] = p
				rm.lengths[i] = d.GetPossibleLength()
			}
			g := m.GetGeneralDesc().GetPossibleLength()
			if len(g) == 0 || slices.Max(g) > maxNSN {
				return nil, fmt.Errorf("region %s: the general description's possible lengths %v are not within 1..%d", rc, g, maxNSN)
			}
			if len(list) > 1 && m.GetLeadingDigits() != "" {
				p, err := compile(m.GetLeadingDigits())
				if err != nil {
					return nil, fmt.Errorf("region %s leading digits: %v", rc, err)
				}
				rm.leading = p
			}
			rms = append(rms, rm)
		}
		sole := -1
		if len(rms) == 1 {
			sole = b.regionIndex[rms[0].code]
		}
		unknown[cc] = b.class(classKey{cc, sole, tUnknown})
		root, layered, err := b.layer(cc, rms, sole)
		if err != nil {
			return nil, err
		}
		st.LayeredStates += layered
		roots[cc] = root
	}
	// Prefixes of each region.
	type prefixes struct {
		intl []string
		nat  string
	}
	pre := map[string]prefixes{}
	for _, rc := range regionCodes {
		if rc == "001" {
			continue
		}
		m := geo[rc]
		var p prefixes
		if ip := m.GetInternationalPrefix(); ip != "" {
			kept, dropped, err := expand(ip, prefixLimit)
			if err != nil {
				return nil, fmt.Errorf("region %s international prefix: %v", rc, err)
			}
			p.intl = kept
			if len(dropped) > 0 {
				st.Dropped[rc] = dropped
			}
		}
		p.nat = m.GetNationalPrefix()
		for _, s := range append(slices.Clone(p.intl), p.nat) {
			if strings.Trim(s, "0123456789") != "" {
				return nil, fmt.Errorf("region %s: prefix %q is not digits", rc, s)
			}
		}
		pre[rc] = p
	}
	states, out, trans, rootOf := b.minimize(codes, roots)
	st.Regions, st.Codes, st.Classes, st.States = len(regionCodes), len(codes), len(b.classList), states

	var payload []byte
	uv := func(v int) { payload = binary.AppendUvarint(payload, uint64(v)) }
	str := func(s string) { uv(len(s)); payload = append(payload, s...) }
	uv(len(regionCodes))
	for _, rc := range regionCodes {
		str(rc)
		if rc == "001" {
			uv(0)
			uv(0)
			str("")
			continue
		}
		uv(int(geo[rc].GetCountryCode()))
		uv(len(pre[rc].intl))
		for _, s := range pre[rc].intl {
			str(s)
		}
		str(pre[rc].nat)
	}
	uv(len(codes))
	for _, cc := range codes {
		uv(cc)
		uv(int(rootOf[cc]))
		uv(int(unknown[cc]))
	}
	uv(len(b.classList))
	for _, k := range b.classList {
		uv(k.cc)
		uv(k.region + 1)
		uv(k.typ)
	}
	uv(states)
	for s := 0; s < states; s++ {
		uv(int(out[s]))
		var runs [][2]int32
		for d := 0; d < 10; d++ {
			if len(runs) > 0 && runs[len(runs)-1][1] == trans[s][d] {
				runs[len(runs)-1][0]++
			} else {
				runs = append(runs, [2]int32{1, trans[s][d]})
			}
		}
		uv(len(runs))
		for _, r := range runs {
			uv(int(r[0]))
			delta := int64(r[1]) - int64(s)
			payload = binary.AppendUvarint(payload, uint64(delta<<1)^uint64(delta>>63))
		}
	}
	head := []byte{destination.Format}
	head = binary.AppendUvarint(head, uint64(len(Source)))
	head = append(head, Source...)
	art, err := artifact.Encode(ArtifactName, Version, append(head, payload...))
	if err != nil {
		return nil, err
	}
	return &Output{Artifact: art, Stats: st, auto: automaton{regionCodes, b.classList, out, trans, rootOf}}, nil
}

// layer builds the layered automaton of calling code cc by subset
// construction over every pattern of its regions at once: a state is the
// set of live (pattern, pc) threads, the depth (possible lengths depend
// on it), which patterns match exactly here, and which regions' leading
// digits have matched a prefix. Its class is what libphonenumber's
// GetRegionCodeForNumber and GetNumberType answer for the digits read.
func (b *builder) layer(cc int, rms []*regionMeta, sole int) (root int32, layered int, err error) {
	type tag struct{ r, d int } // region, description (numDescs: leading digits)
	var tags []tag
	var progs []*prog
	for ri, rm := range rms {
		for d := 0; d < numDescs; d++ {
			tags = append(tags, tag{ri, d})
			progs = append(progs, rm.progs[d])
		}
		if rm.leading != nil {
			tags = append(tags, tag{ri, numDescs})
			progs = append(progs, rm.leading)
		}
	}
	tagOf := map[tag]int{}
	for i, tg := range tags {
		tagOf[tg] = i
	}
	type state struct {
		threads []uint64 // tag<<32 | pc, sorted
		matched []bool   // per tag: the pattern matches exactly the digits read
		sticky  []bool   // per region: leading digits matched a prefix
		depth   int
	}
	index := map[string]int32{}
	var pending []state
	var ids []int32
	key := func(s *state) string {
		var sb strings.Builder
		sb.WriteString(strconv.Itoa(s.depth))
		sb.WriteByte('|')
		for _, t := range s.threads {
			sb.WriteString(strconv.FormatUint(t, 36))
			sb.WriteByte(',')
		}
		sb.WriteByte('|')
		for i, m := range s.matched {
			if m {
				sb.WriteString(strconv.Itoa(i))
				sb.WriteByte(',')
			}
		}
		sb.WriteByte('|')
		for i, m := range s.sticky {
			if m {
				sb.WriteString(strconv.Itoa(i))
				sb.WriteByte(',')
			}
		}
		return sb.String()
	}
	matches := func(s *state, r, d int) bool {
		if !s.matched[tagOf[tag{r, d}]] {
			return false
		}
		ls := rms[r].lengths[d]
		return len(ls) == 0 || slices.Contains(ls, int32(s.depth))
	}
	helper := func(s *state, r int) int {
		if !matches(s, r, dGeneral) {
			return tUnknown
		}
		for _, h := range helperOrder {
			if matches(s, r, h.desc) {
				return h.typ
			}
		}
		if matches(s, r, dFixed) {
			if rms[r].same || matches(s, r, dMobile) {
				return tFixedOrMobile
			}
			return tFixed
		}
		if !rms[r].same && matches(s, r, dMobile) {
			return tMobile
		}
		return tUnknown
	}
	classOf := func(s *state) int32 {
		if s.depth == 0 {
			return b.class(classKey{cc, sole, tUnknown})
		}
		region := -1
		if len(rms) == 1 {
			region = 0
		} else {
			for r, rm := range rms {
				if rm.leading != nil && s.sticky[r] || rm.leading == nil && helper(s, r) != tUnknown {
					region = r
					break
				}
			}
		}
		if region < 0 {
			return b.class(classKey{cc, -1, tUnknown})
		}
		return b.class(classKey{cc, b.regionIndex[rms[region].code], helper(s, region)})
	}
	// deadClass is the class of every extension of a state with no live
	// thread: nothing can match any more, only the leading digits decide.
	deadClass := func(sticky []bool) int32 {
		s := &state{matched: make([]bool, len(tags)), sticky: sticky, depth: maxNSN + 1}
		return classOf(s)
	}
	add := func(s state) int32 {
		k := key(&s)
		if id, ok := index[k]; ok {
			return id
		}
		id := int32(len(b.out))
		b.out = append(b.out, classOf(&s))
		b.trans = append(b.trans, [10]int32{})
		index[k] = id
		pending = append(pending, s)
		ids = append(ids, id)
		return id
	}
	start := state{matched: make([]bool, len(tags)), sticky: make([]bool, len(rms))}
	for i, p := range progs {
		for _, pc := range p.closure[p.startPC()] {
			start.threads = append(start.threads, uint64(i)<<32|uint64(pc))
		}
		start.matched[i] = p.matches[p.startPC()]
	}
	slices.Sort(start.threads)
	root = add(start)
	for len(pending) > 0 {
		s, id := pending[0], ids[0]
		pending, ids = pending[1:], ids[1:]
		layered++
		for dg := 0; dg < 10; dg++ {
			next := state{matched: make([]bool, len(tags)), sticky: slices.Clone(s.sticky), depth: s.depth + 1}
			if s.depth < maxNSN+1 {
				for _, th := range s.threads {
					ti, pc := int(th>>32), uint32(th)
					p := progs[ti]
					if p.mask[pc]&(1<<dg) == 0 {
						continue
					}
					o := p.out[pc]
					for _, c := range p.closure[o] {
						next.threads = append(next.threads, uint64(ti)<<32|uint64(c))
					}
					if p.matches[o] {
						next.matched[ti] = true
						if tags[ti].d == numDescs {
							next.sticky[tags[ti].r] = true
						}
					}
				}
			} else {
				for _, th := range s.threads {
					if tags[th>>32].d == numDescs {
						return 0, 0, fmt.Errorf("calling code %d: leading digits still undecided after %d digits", cc, maxNSN+1)
					}
				}
			}
			slices.Sort(next.threads)
			next.threads = slices.Compact(next.threads)
			var target int32
			if len(next.threads) == 0 && !slices.Contains(next.matched, true) {
				target = b.sinkFor(deadClass(next.sticky))
			} else {
				target = add(next)
			}
			b.trans[id][dg] = target
		}
		if len(b.out) > 4_000_000 {
			return 0, 0, fmt.Errorf("calling code %d: more than 4 million layered states", cc)
		}
	}
	return root, layered, nil
}

// minimize merges equivalent states (same class, same targets) from the
// deepest up, then numbers the survivors breadth first from the roots in
// calling-code order.
func (b *builder) minimize(codes []int, roots map[int]int32) (int, []int32, [][10]int32, map[int]int32) {
	n := len(b.out)
	// Depth order: targets of a non-sink state are created after it, so
	// reverse creation order processes targets first.
	canon := make([]int32, n)
	for i := range canon {
		canon[i] = -1
	}
	type sig struct {
		out int32
		t   [10]int32
	}
	seen := map[sig]int32{}
	var reps []int32
	isSink := map[int32]bool{}
	for _, s := range b.sink {
		isSink[s] = true
	}
	// Sinks first, keyed on themselves.
	sinkIDs := make([]int32, 0, len(b.sink))
	for _, s := range b.sink {
		sinkIDs = append(sinkIDs, s)
	}
	slices.Sort(sinkIDs)
	for _, s := range sinkIDs {
		c := int32(len(reps))
		canon[s] = c
		reps = append(reps, s)
		var t [10]int32
		for i := range t {
			t[i] = c
		}
		seen[sig{b.out[s], t}] = c
	}
	for s := n - 1; s >= 0; s-- {
		if isSink[int32(s)] {
			continue
		}
		var g sig
		g.out = b.out[s]
		for d := 0; d < 10; d++ {
			g.t[d] = canon[b.trans[s][d]]
			if g.t[d] < 0 {
				panic("minimize: target not yet canonical")
			}
		}
		if c, ok := seen[g]; ok {
			canon[s] = c
			continue
		}
		c := int32(len(reps))
		canon[s] = c
		reps = append(reps, int32(s))
		seen[g] = c
	}
	// Renumber breadth first from the roots.
	num := make([]int32, len(reps))
	for i := range num {
		num[i] = -1
	}
	var order []int32
	visit := func(c int32) {
		if num[c] < 0 {
			num[c] = int32(len(order))
			order = append(order, c)
		}
	}
	for _, cc := range codes {
		visit(canon[roots[cc]])
	}
	for i := 0; i < len(order); i++ {
		s := reps[order[i]]
		for d := 0; d < 10; d++ {
			visit(canon[b.trans[s][d]])
		}
	}
	out := make([]int32, len(order))
	trans := make([][10]int32, len(order))
	for i, c := range order {
		s := reps[c]
		out[i] = b.out[s]
		for d := 0; d < 10; d++ {
			trans[i][d] = num[canon[b.trans[s][d]]]
		}
	}
	rootOf := map[int]int32{}
	for _, cc := range codes {
		rootOf[cc] = num[canon[roots[cc]]]
	}
	return len(order), out, trans, rootOf
}
