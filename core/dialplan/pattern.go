package dialplan

import (
	"strconv"
	"strings"
)

// Dialect names, the "dialect" field of a table.
const (
	DialectCUC      = "cuc"      // Cisco Unity Connection restriction tables
	DialectCUCM     = "cucm"     // Cisco Unified CM route patterns
	DialectAsterisk = "asterisk" // Asterisk / FreePBX extension patterns
	DialectExchange = "exchange" // Exchange UM dialing-rule number masks
	DialectRegex    = "regex"    // regular expressions (regexp2), Kamailio style
)

// dialects are the supported dialects; an array, so no caller can change
// what the package accepts.
var dialects = [...]string{DialectCUC, DialectCUCM, DialectAsterisk, DialectExchange, DialectRegex}

// Dialects returns the supported dialects, in a new slice.
func Dialects() []string { return append([]string(nil), dialects[:]...) }

// elem is one position of a parsed pattern: a set of symbols taken exactly
// once, or (star) zero or more times. Every non-regex dialect parses into a
// sequence of elems, anchored at both ends; "one or more" is an elem
// followed by the same elem starred.
type elem struct {
	set  symSet
	star bool
}

// MaxPatternLength bounds a pattern's text. Cisco allows 40 characters in a
// restriction pattern; lint flags more than that, the loader refuses more
// than this hard limit, which keeps automata and error columns small.
const MaxPatternLength = 512

func perr(col int, err error, msg string) *patError {
	return &patError{col: col, err: err, msg: msg}
}

// parsePattern parses a pattern of a non-regex dialect.
func parsePattern(dialect, p string) ([]elem, *patError) {
	if len(p) > MaxPatternLength {
		return nil, perr(MaxPatternLength+1, ErrRange, "pattern is "+strconv.Itoa(len(p))+" bytes, the limit is "+strconv.Itoa(MaxPatternLength))
	}
	switch dialect {
	case DialectCUC:
		return parseCUC(p)
	case DialectCUCM:
		return parseCUCM(p)
	case DialectAsterisk:
		return parseAsterisk(p)
	case DialectExchange:
		return parseExchange(p)
	}
	return nil, perr(0, ErrDialect, quote(dialect))
}

func lit(c byte) elem {
	k, _ := symOf(c)
	return elem{set: 1 << k}
}

// parseCUC: '*' zero or more keys, '?' exactly one key, digits, '#' and '+'
// literal (Unity Connection System Administration Guide, Call Management).
func parseCUC(p string) ([]elem, *patError) {
	if p == "" {
		return nil, perr(1, ErrSyntax, "empty pattern")
	}
	out := make([]elem, 0, len(p))
	for i := 0; i < len(p); i++ {
		switch c := p[i]; {
		case c == '*':
			out = append(out, elem{set: anySyms, star: true})
		case c == '?':
			out = append(out, elem{set: anySyms})
		case c >= '0' && c <= '9', c == '#', c == '+':
			out = append(out, lit(c))
		case c == '@':
			return nil, perr(i+1, ErrUnsupported, "URI patterns (with @) are not dial strings")
		default:
			return nil, perr(i+1, ErrSyntax, quoteByte(c)+" is not a cuc pattern character (digits, * ? # +)")
		}
	}
	return out, nil
}

// parseCUCM: X one digit, ! one or more digits, [..] a set with ranges and a
// leading ^ for negation (over digits), ? and + repeat the preceding element
// zero-or-more / one-or-more times, . separates the access code (matches
// nothing), \+ a literal +, * and # literal keys (# last). @ is refused: it
// stands for the numbering plan data of a Unified CM installation.
func parseCUCM(p string) ([]elem, *patError) {
	if p == "" {
		return nil, perr(1, ErrSyntax, "empty pattern")
	}
	out := make([]elem, 0, len(p))
	dots, carets := 0, 0
	canRepeat := false // the previous token is a single-key element
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case c >= '0' && c <= '9', c == '*':
			out = append(out, lit(c))
			canRepeat = true
		case c == '#':
			if i != len(p)-1 {
				return nil, perr(i+1, ErrSyntax, "# ends dialing and must be the last character")
			}
			out = append(out, lit(c))
			canRepeat = false
		case c == 'X' || c == 'x':
			out = append(out, elem{set: digitSyms})
			canRepeat = true
		case c == '!':
			out = append(out, elem{set: digitSyms}, elem{set: digitSyms, star: true})
			canRepeat = false
		case c == '\\':
			if i+1 >= len(p) || p[i+1] != '+' {
				return nil, perr(i+1, ErrSyntax, `\ must be followed by + (\+ is a literal +)`)
			}
			i++
			out = append(out, lit('+'))
			canRepeat = true
		case c == '.':
			if dots++; dots > 1 {
				return nil, perr(i+1, ErrSyntax, "only one . per pattern")
			}
		case c == '?' || c == '+':
			if !canRepeat {
				return nil, perr(i+1, ErrSyntax, string(rune(c))+" must follow a digit, X or a [set]")
			}
			last := out[len(out)-1]
			if c == '?' {
				out[len(out)-1].star = true
			} else {
				out = append(out, elem{set: last.set, star: true})
			}
			canRepeat = false
		case c == '[':
			j := strings.IndexByte(p[i:], ']')
			if j < 0 {
				return nil, perr(i+1, ErrSyntax, "[ without ]")
			}
			body := p[i+1 : i+j]
			neg := strings.HasPrefix(body, "^")
			if neg {
				if carets++; carets > 1 {
					return nil, perr(i+2, ErrSyntax, "only one ^ per pattern")
				}
				body = body[1:]
			}
			set, e := parseSet(body, i+1+btoi(neg), false)
			if e != nil {
				return nil, e
			}
			if neg {
				set = digitSyms &^ set
			}
			if set == 0 {
				return nil, perr(i+1, ErrSyntax, "the set matches no digit")
			}
			out = append(out, elem{set: set})
			i += j
			canRepeat = true
		case c == '@':
			return nil, perr(i+1, ErrUnsupported, "@ (the National Numbering Plan) depends on Unified CM's installed numbering-plan data; write the patterns out")
		default:
			return nil, perr(i+1, ErrSyntax, quoteByte(c)+" is not a cucm route-pattern character")
		}
	}
	return out, nil
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// parseSet parses the inside of [...]: keys and a-b ranges. With lenient
// (Asterisk) a byte outside the keypad is ignored, since no normalized
// number contains it; otherwise it is an error. off is the 0-based offset
// of body in the pattern, for error columns.
func parseSet(body string, off int, lenient bool) (symSet, *patError) {
	var s symSet
	for k := 0; k < len(body); k++ {
		c := body[k]
		if c == '^' {
			return 0, perr(off+k+2, ErrSyntax, "^ must come first in a set")
		}
		if k+2 < len(body) && body[k+1] == '-' {
			hi := body[k+2]
			if hi < c {
				return 0, perr(off+k+2, ErrSyntax, "range "+string(rune(c))+"-"+string(rune(hi))+" is reversed")
			}
			for x := int(c); x <= int(hi); x++ {
				if sym, ok := symOf(byte(x)); ok {
					s |= 1 << sym
				} else if !lenient && (x < '0' || x > '9') {
					return 0, perr(off+k+2, ErrSyntax, "range "+string(rune(c))+"-"+string(rune(hi))+" must be digits")
				}
			}
			k += 2
			continue
		}
		sym, ok := symOf(c)
		if !ok || c == '-' {
			if lenient {
				continue
			}
			return 0, perr(off+k+2, ErrSyntax, quoteByte(c)+" is not a key")
		}
		s |= 1 << sym
	}
	return s, nil
}

// parseAsterisk: without a leading _ the pattern is an exact extension;
// with it, X (0-9), Z (1-9), N (2-9), [..] sets, . one or more and ! zero
// or more of anything (only at the end). '-' is ignored, as Asterisk
// ignores it in both pattern and number. A letter cannot be in a
// normalized number, so a pattern needing one never matches (lint says so).
func parseAsterisk(p string) ([]elem, *patError) {
	if p == "" || p == "_" {
		return nil, perr(1, ErrSyntax, "empty pattern")
	}
	if strings.IndexByte(p, '/') >= 0 {
		return nil, perr(strings.IndexByte(p, '/')+1, ErrUnsupported, "caller-ID matching (/) is not part of a restriction table")
	}
	out := make([]elem, 0, len(p))
	if p[0] != '_' {
		for i := 0; i < len(p); i++ {
			c := p[i]
			if c == '-' {
				continue
			}
			if _, ok := symOf(c); ok {
				out = append(out, lit(c))
			} else {
				out = append(out, elem{set: 0}) // cannot be dialed
			}
		}
		return out, nil
	}
	for i := 1; i < len(p); i++ {
		c := p[i]
		switch {
		case c == '-':
		case c == 'X' || c == 'x':
			out = append(out, elem{set: digitSyms})
		case c == 'Z' || c == 'z':
			out = append(out, elem{set: digitSyms &^ 1})
		case c == 'N' || c == 'n':
			out = append(out, elem{set: digitSyms &^ 3})
		case c == '.' || c == '!':
			if i != len(p)-1 {
				return nil, perr(i+1, ErrSyntax, string(rune(c))+" is only allowed at the end of a pattern")
			}
			if c == '.' {
				out = append(out, elem{set: anySyms})
			}
			out = append(out, elem{set: anySyms, star: true})
		case c == '[':
			j := strings.IndexByte(p[i:], ']')
			if j < 0 {
				return nil, perr(i+1, ErrSyntax, "[ without ]")
			}
			set, e := parseSet(p[i+1:i+j], i+1, true)
			if e != nil {
				return nil, e
			}
			if j > 1 { // Asterisk ignores an empty []
				out = append(out, elem{set: set})
			}
			i += j
		default:
			if _, ok := symOf(c); ok {
				out = append(out, lit(c))
			} else {
				out = append(out, elem{set: 0})
			}
		}
	}
	return out, nil
}

// parseExchange: an Exchange UM number mask, digits and x (one digit); a
// lone * is the whole-field "any number".
func parseExchange(p string) ([]elem, *patError) {
	if p == "*" {
		return []elem{{set: anySyms, star: true}}, nil
	}
	if p == "" {
		return nil, perr(1, ErrSyntax, "empty number mask")
	}
	out := make([]elem, 0, len(p))
	for i := 0; i < len(p); i++ {
		switch c := p[i]; {
		case c == 'x' || c == 'X':
			out = append(out, elem{set: digitSyms})
		case c >= '0' && c <= '9':
			out = append(out, lit(c))
		case c == '*':
			return nil, perr(i+1, ErrSyntax, "* is only valid as the whole mask (any number)")
		default:
			return nil, perr(i+1, ErrSyntax, quoteByte(c)+" is not a number-mask character (digits and x)")
		}
	}
	return out, nil
}

// dump renders elems canonically, for tests: a set as its keys in
// brackets (or . for any key, X for digits), * after a starred element.
func dump(es []elem) string {
	var b strings.Builder
	for _, e := range es {
		switch {
		case e.set == anySyms:
			b.WriteByte('.')
		case e.set == digitSyms:
			b.WriteByte('X')
		case e.set != 0 && e.set&(e.set-1) == 0:
			for k := 0; k < nsym; k++ {
				if e.set == 1<<k {
					b.WriteByte(symByte[k])
				}
			}
		default:
			b.WriteByte('[')
			for k := 0; k < nsym; k++ {
				if e.set&(1<<k) != 0 {
					b.WriteByte(symByte[k])
				}
			}
			b.WriteByte(']')
		}
		if e.star {
			b.WriteByte('*')
		}
	}
	return b.String()
}
