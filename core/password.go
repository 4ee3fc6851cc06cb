package core

import (
	"unicode"
	"unicode/utf8"
)

// maxPasswordChars is the hard cap on a password, in characters
// (PasswordLengthCap, which no policy's max_length may exceed). A longer
// input is refused as too_long before any other work, which bounds the
// edit distance of too_similar at 65,536 steps. maxPasswordBytes is the
// same cap checked on bytes first (a character is at most 4 bytes), so a
// huge input is refused without even counting its characters.
const (
	maxPasswordChars = PasswordLengthCap
	maxPasswordBytes = 4 * maxPasswordChars
)

// Detail values of missing_class, in the order they are reported.
var classNames = [4]string{"upper", "lower", "digit", "symbol"}

var noPasswordContext PasswordContext

// CheckPassword checks pw against p.Password with context c (nil is an
// empty context) and fills v, which is reset first. docs/rules.md
// describes every rule. Spans count characters (code points).
//
// Reasons come in a fixed order: length, character classes, the Cisco
// trivial rules (repeated_char, contains_alias, contains_reversed_alias,
// contains_extension, consecutive_chars), too_similar, reused, common.
func (p *Policy) CheckPassword(pw string, c *PasswordContext, v *Verdict) {
	v.Reset()
	if c == nil {
		c = &noPasswordContext
	}
	r := &p.Password
	if len(pw) > maxPasswordBytes {
		v.add(Reason{Code: CodeTooLong, Limit: capLimit(r.MaxLength, maxPasswordChars)})
		return
	}
	n := utf8.RuneCountInString(pw)
	if n > maxPasswordChars {
		v.add(Reason{Code: CodeTooLong, Limit: capLimit(r.MaxLength, maxPasswordChars)})
		return
	}
	if n < r.MinLength {
		v.add(Reason{Code: CodeTooShort, Limit: r.MinLength})
	}
	if r.MaxLength > 0 && n > r.MaxLength {
		v.add(Reason{Code: CodeTooLong, Limit: r.MaxLength})
	}
	var buf [128]rune
	rs := buf[:0]
	for _, ch := range pw {
		rs = append(rs, ch)
	}

	if r.MinClasses > 0 {
		has := classesOf(rs)
		count := 0
		for _, h := range has {
			if h {
				count++
			}
		}
		switch {
		case r.MinClasses >= len(has):
			for i, h := range has {
				if !h {
					v.add(Reason{Code: CodeMissingClass, Detail: classNames[i]})
				}
			}
		case count < r.MinClasses:
			v.add(Reason{Code: CodeFewClasses, Limit: r.MinClasses})
		}
	}
	if r.Trivial && n > 0 {
		if s, e, ok := sameRuneRun(rs, 4); ok {
			v.add(Reason{Code: CodeRepeatedChar, HasSpan: true, Start: s, End: e, Limit: 3})
		}
		if c.Alias != "" {
			var lbuf, abuf [128]rune
			lower := foldRunes(lbuf[:0], rs)
			alias := abuf[:0]
			for _, ch := range c.Alias {
				alias = append(alias, unicode.ToLower(ch))
			}
			if at := indexRunes(lower, alias, false); at >= 0 {
				v.add(Reason{Code: CodeContainsAlias, HasSpan: true, Start: at, End: at + len(alias)})
			}
			if !palindromeRunes(alias) {
				if at := indexRunes(lower, alias, true); at >= 0 {
					v.add(Reason{Code: CodeContainsReversedAlias, HasSpan: true, Start: at, End: at + len(alias)})
				}
			}
		}
		for i, ext := range c.Extensions {
			var dbuf [32]rune
			d := digitRunes(dbuf[:0], ext)
			if len(d) == 0 {
				continue
			}
			if at := indexRunes(rs, d, false); at >= 0 {
				v.add(Reason{Code: CodeContainsExtension, HasSpan: true, Start: at, End: at + len(d), Detail: extDetail(i)})
				break
			}
		}
		if consecutive(rs, r.SequenceWraps) {
			v.add(Reason{Code: CodeConsecutiveChars, HasSpan: true, Start: 0, End: n})
		}
	}
	if r.MinChanges > 0 && c.Old != "" && tooSimilar(rs, c.Old, r.MinChanges) {
		v.add(Reason{Code: CodeTooSimilar, Limit: r.MinChanges})
	}
	if reused(pw, c.Previous, c.PreviousRecords, r.History, c.Interrupt) {
		v.add(Reason{Code: CodeReused, Limit: r.History})
	}
	if r.Blocklist {
		if d := r.blocklisted(pw, c); d != "" {
			v.add(Reason{Code: CodeCommon, HasSpan: d != DetailNoList, End: n, Detail: d})
		}
	}
}

// classesOf reports which of upper, lower, digit and symbol rs uses.
// Letters without case (most scripts other than Latin, Greek, Cyrillic)
// and everything else that is neither a letter nor a digit, spaces
// included, count as symbols: Unity Connection's classes are ASCII, and a
// character outside them is "special" to it.
func classesOf(rs []rune) (has [4]bool) {
	for _, r := range rs {
		switch {
		case unicode.IsUpper(r):
			has[0] = true
		case unicode.IsLower(r):
			has[1] = true
		case unicode.IsDigit(r):
			has[2] = true
		default:
			has[3] = true
		}
	}
	return has
}

// sameRuneRun finds the first run of at least k equal characters.
func sameRuneRun(rs []rune, k int) (start, end int, ok bool) {
	for i := 0; i < len(rs); {
		j := i + 1
		for j < len(rs) && rs[j] == rs[i] {
			j++
		}
		if j-i >= k {
			return i, j, true
		}
		i = j
	}
	return 0, 0, false
}

// foldRunes appends the simple lower-case form of each rune, for the
// case-insensitive alias rule. One rune stays one rune, so indexes in the
// result are character offsets in the password.
func foldRunes(dst, rs []rune) []rune {
	for _, r := range rs {
		dst = append(dst, unicode.ToLower(r))
	}
	return dst
}

// indexRunes returns the first index of sub (or of its reverse) in s, or
// -1.
func indexRunes(s, sub []rune, reversed bool) int {
	m := len(sub)
	if m == 0 {
		return -1
	}
	for i := 0; i+m <= len(s); i++ {
		j := 0
		for ; j < m; j++ {
			c := sub[j]
			if reversed {
				c = sub[m-1-j]
			}
			if s[i+j] != c {
				break
			}
		}
		if j == m {
			return i
		}
	}
	return -1
}

func palindromeRunes(rs []rune) bool {
	for i, j := 0, len(rs)-1; i < j; i, j = i+1, j-1 {
		if rs[i] != rs[j] {
			return false
		}
	}
	return true
}

// digitRunes appends the ASCII digits of s to d.
func digitRunes(d []rune, s string) []rune {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= '0' && c <= '9' {
			d = append(d, rune(c))
		}
	}
	return d
}

// consecutive reports whether the whole password (three characters or
// more) is one ascending or descending run: each character the next (or
// the previous) code point, letters compared without case (abcdef,
// FEDCBA, 654321). Digits stop at 9 and 0 as in the PIN rule; with wraps,
// 0 follows 9 (7890123).
func consecutive(rs []rune, wraps bool) bool {
	if len(rs) < 3 {
		return false
	}
	step := runeStep(rs[0], rs[1], wraps)
	if step != 1 && step != -1 {
		return false
	}
	for i := 2; i < len(rs); i++ {
		if runeStep(rs[i-1], rs[i], wraps) != step {
			return false
		}
	}
	return true
}

// runeStep is the signed distance from a to b, +1 or -1 for neighbours;
// with wraps, 9 and 0 are neighbours too.
func runeStep(a, b rune, wraps bool) int {
	if wraps && a >= '0' && a <= '9' && b >= '0' && b <= '9' {
		switch b - a {
		case -9:
			return 1
		case 9:
			return -1
		}
	}
	return int(unicode.ToLower(b) - unicode.ToLower(a))
}

// tooSimilar reports whether pw is fewer than want character changes away
// from old. A change is one edit of the Levenshtein distance: inserting,
// deleting or replacing one character (code point, case-sensitive).
func tooSimilar(pw []rune, old string, want int) bool {
	m := utf8.RuneCountInString(old)
	if d := len(pw) - m; d >= want || -d >= want || m > maxPasswordChars {
		return false // the length difference alone is enough changes
	}
	var buf [128]rune
	o := buf[:0]
	for _, ch := range old {
		o = append(o, ch)
	}
	return editDistance(pw, o) < want
}

// NameDistance is the edit distance between two short names (flag or field
// names), for "did you mean" hints; anything longer than 32 bytes is no typo.
func NameDistance(a, b string) int {
	if len(a) > 32 || len(b) > 32 {
		return 32
	}
	return editDistance([]rune(a), []rune(b))
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b []rune) int {
	var buf [2 * 129]int
	var prev, cur []int
	if len(b) < 129 {
		prev, cur = buf[:len(b)+1], buf[129:129+len(b)+1]
	} else {
		prev, cur = make([]int, len(b)+1), make([]int, len(b)+1)
	}
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
