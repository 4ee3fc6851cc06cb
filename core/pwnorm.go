package core

import (
	"unicode"
	"unicode/utf8"
)

// Password blocklist matching (code common for passwords).
//
// NIST SP 800-63B-4 §3.1.1.2 compares the entire password with a blocklist,
// not substrings. A blocklist of whole values alone never fires at the
// lengths the standard asks for (15 characters): users lengthen a breached
// password with what guessing rules add for free. So a password is
// compared whole, after removing exactly that:
//
//   - case, separators (spaces, - _ .) and look-alike substitutions
//     (p@ssw0rd), folded by canonRune; runs of one character are
//     collapsed (passworddd);
//   - a repetition of the whole (passwordpassword is password);
//   - predictable affixes at either end: digits, symbols, runs,
//     ascending or descending sequences, years, dates, and the context
//     words (the user's alias and names, the service's words). Each piece
//     has a guess cost; the affixes together may cost at most
//     affixBudget guesses, so a random tail (Password83920571) is not an
//     affix and the password is compared as it is.
//
// What remains is compared with the breached-password list (a data
// artifact, PasswordList), the built-in list, the site's list and the
// context words. A password that is predictable throughout (sequences,
// runs, dates, a short unit repeated) or a keyboard walk is refused
// without a list. The breached list is built by the same normalisation
// (PasswordSkeleton), so the two sides meet.

// affixBudget is the most guesses the predictable affixes of a password
// may cost together (about 17 bits): five free digits, or a year and a
// symbol, or a date. What lies beyond is entropy the rule does not take
// away.
const affixBudget = 100_000

// costInf marks what is not predictable (any cost above the budget).
const costInf = affixBudget + 1

// Guess costs of the pieces an affix is made of.
const (
	costDigit    = 10      // any digit
	costSymbol   = 30      // any symbol
	costRun      = 100     // one character repeated (11111, !!!, aaa)
	costSequence = 100     // an ascending or descending run (1234, 9876, !@#$, abcd)
	costYear     = 200     // 1900..2099
	costDate     = 100_000 // six or eight digits that read as a date
	costContext  = 10      // one of the context words
)

// maxLookups bounds the candidate remainders one password is compared
// with; only contrived inputs (hundreds of runs) reach it.
const maxLookups = 256

// maxKeyBytes bounds a comparison key (a normalised remainder) in UTF-8
// bytes; the lists hold nothing longer.
const maxKeyBytes = 64

func satMul(a, b uint32) uint32 {
	p := uint64(a) * uint64(b)
	if p > costInf {
		return costInf
	}
	return uint32(p)
}

// isSeparator: characters dropped before anything is compared.
func isSeparator(r rune) bool {
	return r == '-' || r == '_' || r == '.' || unicode.IsSpace(r)
}

// canonRune folds a lower-case character to the letter it stands for
// (zxcvbn's l33t table: 4@ a, 8 b, ({[< c, 3 e, 69 g, 1!| i and l, 0 o,
// 5$ s, 7+ t, % x, 2 z; since 1, ! and | stand for i and l alike, l folds
// to i too). Both sides of every comparison are folded the same way.
// canonASCII is the table for ' '..'~' (a switch costs the module more);
// TestCanonRune holds it to the list above.
func canonRune(r rune) rune {
	if r >= ' ' && r <= '~' {
		return rune(canonASCII[r-' '])
	}
	return r
}

const canonASCII = " i\"#sx&'c)*t,-./oizeasgtbg:;c=>?aABCDEFGHIJKLMNOPQRSTUVWXYZc\\]^_`abcdefghijkimnopqrstuvwxyzci}~"

func isDigit(r rune) bool { return r >= '0' && r <= '9' }

// isLetter: an ASCII letter or any character beyond ASCII. Affixes are
// made of ASCII digits and symbols; everything else is the word they
// surround. (unicode.IsLetter's tables would cost the module 10 KB.)
func isLetter(r rune) bool { return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= 0x80 }

// pwText is a password prepared for the blocklist: lower-cased, without
// separators (low), and folded (canon), one rune per position in both.
type pwText struct {
	n        int
	low      [maxPasswordChars]rune
	canon    [maxPasswordChars]rune
	pre, suf [maxPasswordChars + 1]uint32
	words    [][]rune // context words, folded
	// short: the text is a unit of at most four characters repeated three
	// times or more (xk7qxk7qxk7q), a pattern.
	short bool
}

// set fills t from pw (at most maxPasswordChars characters) and reduces a
// password that is one unit repeated to that unit.
func (t *pwText) set(pw string) {
	t.n = 0
	for _, r := range pw {
		if isSeparator(r) || t.n == len(t.low) {
			continue
		}
		l := unicode.ToLower(r)
		t.low[t.n] = l
		t.canon[t.n] = canonRune(l)
		t.n++
	}
	p := period(t.canon[:t.n])
	t.short = p <= 4 && t.n >= 3*p && t.n > 1
	t.n = p
}

// period is the length of the shortest unit s is whole repetitions of
// (len(s) when it is none).
func period(s []rune) int {
	n := len(s)
	for p := 1; p <= n/2; p++ {
		if n%p != 0 {
			continue
		}
		ok := true
		for i := p; i < n; i++ {
			if s[i] != s[i-p] {
				ok = false
				break
			}
		}
		if ok {
			return p
		}
	}
	return n
}

// symbolRow is the shifted digit row, for sequences like !@#$.
const symbolRow = "!@#$%^&*()"

func symbolIndex(r rune) int {
	for i := 0; i < len(symbolRow); i++ {
		if rune(symbolRow[i]) == r {
			return i
		}
	}
	return -1
}

// seqStep is the signed distance from a to b within one ordered class
// (digits on their ring, the shifted row, ASCII letters), or 0 when they
// are not neighbours in one.
func seqStep(a, b rune) int {
	switch {
	case isDigit(a) && isDigit(b):
		switch (b - a + 10) % 10 {
		case 1:
			return 1
		case 9:
			return -1
		}
	case a >= 'a' && a <= 'z' && b >= 'a' && b <= 'z':
		if d := int(b - a); d == 1 || d == -1 {
			return d
		}
	default:
		if ia, ib := symbolIndex(a), symbolIndex(b); ia >= 0 && ib >= 0 {
			if d := ib - ia; d == 1 || d == -1 {
				return d
			}
		}
	}
	return 0
}

// pieces calls f(j, cost) for every predictable piece low[i:j].
func (t *pwText) pieces(i int, f func(j int, c uint32)) {
	low, n := t.low[:t.n], t.n
	r := low[i]
	letter := isLetter(r)
	switch {
	case isDigit(r):
		f(i+1, costDigit)
	case !letter:
		f(i+1, costSymbol)
	}
	// One character repeated: two or more digits or symbols, three or
	// more letters.
	k := i + 1
	for k < n && low[k] == r {
		k++
	}
	minRun := 2
	if letter {
		minRun = 3
	}
	for j := i + minRun; j <= k; j++ {
		f(j, costRun)
	}
	// A sequence: three or more digits or symbols, four or more letters.
	if i+1 < n {
		if d := seqStep(r, low[i+1]); d != 0 {
			k = i + 2
			for k < n && seqStep(low[k-1], low[k]) == d {
				k++
			}
			minSeq := 3
			if letter {
				minSeq = 4
			}
			for j := i + minSeq; j <= k; j++ {
				f(j, costSequence)
			}
		}
	}
	if isDigit(r) {
		if i+4 <= n && allDigits(low[i:i+4]) {
			if y := num(low[i : i+4]); y >= 1900 && y <= 2099 {
				f(i+4, costYear)
			}
		}
		for _, m := range [2]int{6, 8} {
			if i+m <= n && allDigits(low[i:i+m]) && isDate(low[i:i+m]) {
				f(i+m, costDate)
			}
		}
	}
	for _, w := range t.words {
		if i+len(w) <= n && equalRunes(t.canon[i:i+len(w)], w) {
			f(i+len(w), costContext)
		}
	}
}

func allDigits(s []rune) bool {
	for _, r := range s {
		if !isDigit(r) {
			return false
		}
	}
	return true
}

func num(s []rune) int {
	v := 0
	for _, r := range s {
		v = 10*v + int(r-'0')
	}
	return v
}

// isDate reports whether six or eight digits read as a day, month and year
// in one of the usual orders (DDMMYY[YY], MMDDYY[YY], [YY]YYMMDD).
func isDate(s []rune) bool {
	yl := len(s) - 4
	dm := func(d, m int) bool { return d >= 1 && d <= 31 && m >= 1 && m <= 12 }
	a, b := num(s[0:2]), num(s[2:4])
	if (dm(a, b) || dm(b, a)) && plausibleYear(num(s[4:]), yl) {
		return true
	}
	c, d := num(s[yl:yl+2]), num(s[yl+2:])
	return dm(d, c) && plausibleYear(num(s[:yl]), yl)
}

func plausibleYear(y, digits int) bool { return digits == 2 || y >= 1900 && y <= 2099 }

func equalRunes(a, b []rune) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// affixes fills t.pre and t.suf: pre[j] is the least cost of low[:j] as
// predictable pieces, suf[i] that of low[i:] (costInf when it is not).
func (t *pwText) affixes() {
	n := t.n
	for i := 0; i <= n; i++ {
		t.pre[i], t.suf[i] = costInf, costInf
	}
	t.pre[0], t.suf[n] = 1, 1
	for i := n - 1; i >= 0; i-- {
		t.pieces(i, func(j int, c uint32) {
			if v := satMul(c, t.suf[j]); v < t.suf[i] {
				t.suf[i] = v
			}
		})
	}
	for i := 0; i < n; i++ {
		if t.pre[i] > affixBudget {
			continue
		}
		t.pieces(i, func(j int, c uint32) {
			if v := satMul(t.pre[i], c); v < t.pre[j] {
				t.pre[j] = v
			}
		})
	}
}

// hasLetter reports whether low[j:i] holds a letter: a remainder without
// one (digits) is only ever compared whole, so that free digits are not
// stripped from numbers.
func (t *pwText) hasLetter(j, i int) bool {
	for _, r := range t.low[j:i] {
		if isLetter(r) {
			return true
		}
	}
	return false
}

// cut reports whether low[j:i] is a remainder to compare: the whole text,
// or a part with letters whose affixes fit the budget together.
func (t *pwText) cut(j, i int) bool {
	if j == 0 && i == t.n {
		return true
	}
	return i > j && satMul(t.pre[j], t.suf[i]) <= affixBudget && t.hasLetter(j, i)
}

// key writes the comparison key of canon[j:i] into dst: runs collapsed,
// a repetition reduced to its unit, UTF-8. ok is false when it is empty
// or longer than maxKeyBytes.
func (t *pwText) key(dst *[maxKeyBytes]byte, j, i int) (k []byte, ok bool) {
	var rb [maxPasswordChars]rune
	m := 0
	for k := j; k < i; k++ {
		// Runs are collapsed by the typed character, then folded: ll and
		// 11 collapse, li does not.
		if k > j && t.low[k] == t.low[k-1] {
			continue
		}
		rb[m] = t.canon[k]
		m++
	}
	b := dst[:0]
	for _, r := range rb[:period(rb[:m])] {
		if len(b)+utf8.RuneLen(r) > maxKeyBytes {
			return nil, false // and never grow b past its array
		}
		b = utf8.AppendRune(b, r)
	}
	return b, len(b) > 0
}

// mainCut is the remainder with the most stripped: the one the breached
// list stores for an entry. ok is false when nothing is left.
func (t *pwText) mainCut() (j, i int, ok bool) {
	best := -1
	for a := 0; a < t.n; a++ {
		if t.pre[a] > affixBudget {
			continue
		}
		for b := a + 1; b <= t.n; b++ {
			if s := a + t.n - b; s > best && t.cut(a, b) {
				best, j, i = s, a, b
			}
		}
	}
	return j, i, best >= 0
}

// PasswordSkeleton is the form under which the breached-password list
// stores entry: its remainder with the most predictable affixes removed,
// folded and collapsed. ok is false for an entry that is predictable
// throughout (refused by rule, not stored), empty, or whose key exceeds
// the list's 64 bytes. The list's generator calls it; a password matches
// an entry when one of its own remainders has the entry's skeleton.
func PasswordSkeleton(entry string) (string, bool) {
	if len(entry) > maxPasswordBytes {
		return "", false
	}
	t := new(pwText)
	t.set(entry)
	if t.n == 0 {
		return "", false
	}
	t.affixes()
	if t.suf[0] <= affixBudget || t.short || keyboardWalk(t.low[:t.n]) {
		return "", false
	}
	j, i, ok := t.mainCut()
	if !ok {
		return "", false
	}
	var buf [maxKeyBytes]byte
	k, ok := t.key(&buf, j, i)
	return string(k), ok
}
