package main

import (
	"fmt"
	"regexp/syntax"
	"slices"
)

// prog is one libphonenumber pattern compiled for the subset
// construction: for each instruction, the digits it consumes (0 for a
// non-consuming one), and for each pc the epsilon closure — the
// consuming pcs it reaches and whether it reaches the match.
type prog struct {
	mask    []uint16 // digits instruction pc consumes
	out     []uint32
	closure [][]uint32
	matches []bool
}

func compile(pattern string) (*prog, error) {
	re, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return nil, err
	}
	p, err := syntax.Compile(re.Simplify())
	if err != nil {
		return nil, err
	}
	n := len(p.Inst)
	g := &prog{mask: make([]uint16, n), out: make([]uint32, n), closure: make([][]uint32, n), matches: make([]bool, n)}
	for pc, in := range p.Inst {
		g.out[pc] = in.Out
		switch in.Op {
		case syntax.InstRune, syntax.InstRune1, syntax.InstRuneAny, syntax.InstRuneAnyNotNL:
			for d := '0'; d <= '9'; d++ {
				if in.MatchRune(d) {
					g.mask[pc] |= 1 << (d - '0')
				}
			}
		case syntax.InstEmptyWidth:
			return nil, fmt.Errorf("pattern %q: anchors and word boundaries are not supported", pattern)
		}
	}
	for pc := range p.Inst {
		seen := map[uint32]bool{}
		var stack = []uint32{uint32(pc)}
		var cons []uint32
		match := false
		for len(stack) > 0 {
			x := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if seen[x] {
				continue
			}
			seen[x] = true
			in := p.Inst[x]
			switch in.Op {
			case syntax.InstAlt, syntax.InstAltMatch:
				stack = append(stack, in.Out, in.Arg)
			case syntax.InstCapture, syntax.InstNop:
				stack = append(stack, in.Out)
			case syntax.InstMatch:
				match = true
			case syntax.InstFail:
			default:
				cons = append(cons, x)
			}
		}
		slices.Sort(cons)
		g.closure[pc] = cons
		g.matches[pc] = match
	}
	// The start.
	g.closure = append(g.closure, g.closure[p.Start])
	g.matches = append(g.matches, g.matches[p.Start])
	return g, nil
}

// startPC is the pseudo-pc whose closure is the program's start.
func (g *prog) startPC() uint32 { return uint32(len(g.closure) - 1) }

// expand lists the finite language of pattern (an international prefix),
// alternative by alternative; an alternative of more than limit strings
// is left out and reported.
func expand(pattern string, limit int) (kept []string, dropped []string, err error) {
	re, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return nil, nil, err
	}
	re = re.Simplify()
	alts := []*syntax.Regexp{re}
	if re.Op == syntax.OpAlternate {
		alts = re.Sub
	}
	for _, a := range alts {
		ss, ok := lang(a, limit)
		if !ok {
			dropped = append(dropped, a.String())
			continue
		}
		kept = append(kept, ss...)
	}
	slices.Sort(kept)
	return slices.Compact(kept), dropped, nil
}

func lang(re *syntax.Regexp, limit int) ([]string, bool) {
	switch re.Op {
	case syntax.OpEmptyMatch:
		return []string{""}, true
	case syntax.OpLiteral:
		return []string{string(re.Rune)}, true
	case syntax.OpCharClass:
		var out []string
		for i := 0; i+1 < len(re.Rune); i += 2 {
			for r := re.Rune[i]; r <= re.Rune[i+1]; r++ {
				if r >= '0' && r <= '9' {
					out = append(out, string(r))
				}
			}
		}
		return out, len(out) <= limit
	case syntax.OpCapture:
		return lang(re.Sub[0], limit)
	case syntax.OpQuest:
		s, ok := lang(re.Sub[0], limit)
		return append([]string{""}, s...), ok && len(s)+1 <= limit
	case syntax.OpAlternate:
		var out []string
		for _, sub := range re.Sub {
			s, ok := lang(sub, limit)
			if !ok {
				return nil, false
			}
			out = append(out, s...)
		}
		return out, len(out) <= limit
	case syntax.OpConcat:
		out := []string{""}
		for _, sub := range re.Sub {
			s, ok := lang(sub, limit)
			if !ok || len(out)*len(s) > limit {
				return nil, false
			}
			var next []string
			for _, a := range out {
				for _, b := range s {
					next = append(next, a+b)
				}
			}
			out = next
		}
		return out, true
	}
	return nil, false
}
