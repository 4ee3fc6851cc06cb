package core

import (
	"unicode"
	"unicode/utf8"

	"github.com/tollgate/tollgate/internal/jsonx"
)

// Details of code common for passwords: what the password matched.
const (
	DetailList     = "list"     // the breached-password list or the built-in list, after normalisation
	DetailSite     = "site"     // the policy's own list (password.blocklist_extra)
	DetailContext  = "context"  // built only of context words and predictable pieces
	DetailPattern  = "pattern"  // predictable throughout: sequences, runs, dates, a short unit repeated
	DetailKeyboard = "keyboard" // a keyboard or keypad walk
	// DetailNoList: the policy turns the blocklist on but the check was
	// given no breached-password list (the "passwords" data artifact was
	// not loaded). Every password is refused rather than silently
	// accepted.
	DetailNoList = "no_list"
)

// Bounds of the blocklist fields of a password policy.
const (
	MaxContextWords   = 32   // password.context_words entries
	MaxBlocklistExtra = 1000 // password.blocklist_extra entries
	MaxListWordChars  = 64   // characters in one entry of either
	minContextWord    = 3    // shorter context words are ignored
)

// maxWords bounds the context words of one check: the policy's and the
// user's alias.
const maxWords = MaxContextWords + 1

// foldWord appends the folded form of a context word (lower case, no
// separators, look-alikes folded) to dst.
func foldWord(dst []rune, w string) []rune {
	for _, r := range w {
		if isSeparator(r) {
			continue
		}
		if len(dst) == cap(dst) {
			break
		}
		dst = append(dst, canonRune(unicode.ToLower(r)))
	}
	return dst
}

// compileLists prepares the folded context words and the site list's
// skeletons; Validate calls it.
func (r *PasswordPolicy) compileLists() {
	r.words, r.extra = nil, nil
	for _, w := range r.ContextWords {
		if f := foldWord(make([]rune, 0, MaxListWordChars), w); len(f) >= minContextWord {
			r.words = append(r.words, f)
		}
	}
	r.extra = skeletonSet(r.BlocklistExtra)
}

// skeletonSet returns the sorted skeletons of words, nil when none has
// one.
func skeletonSet(words []string) []string {
	var out []string
	for _, w := range words {
		if s, ok := PasswordSkeleton(w); ok {
			out = append(out, s)
		}
	}
	sortStrings(out)
	return out
}

// sortStrings is an insertion sort: the lists it sorts are small and
// built once, and package sort would cost module size for nothing.
func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

// inSorted reports whether key is in the sorted list s, without
// allocating.
func inSorted(s []string, key []byte) bool {
	lo, hi := 0, len(s)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		switch {
		case s[m] == string(key):
			return true
		case s[m] < string(key):
			lo = m + 1
		default:
			hi = m
		}
	}
	return false
}

// blocklisted returns the Detail of the blocklist's verdict on pw, or ""
// when pw passes. pw has at most maxPasswordChars characters.
func (r *PasswordPolicy) blocklisted(pw string, c *PasswordContext) string {
	if c.Breached == nil {
		return DetailNoList
	}
	var t pwText
	t.set(pw)
	if t.n == 0 {
		return ""
	}
	if t.short {
		return DetailPattern
	}
	// Context words: the policy's, then the user's.
	var wbuf [maxWords][]rune
	var abuf [MaxListWordChars]rune
	nw := copy(wbuf[:MaxContextWords], r.words)
	if f := foldWord(abuf[:0], c.Alias); len(f) >= minContextWord {
		wbuf[nw] = f
		nw++
	}
	words := wbuf[:nw]
	t.words = words
	t.affixes()
	if t.suf[0] <= affixBudget {
		if len(words) == 0 {
			return DetailPattern
		}
		t.words = nil
		t.affixes()
		if t.suf[0] <= affixBudget {
			return DetailPattern
		}
		return DetailContext
	}
	if keyboardWalk(t.low[:t.n]) {
		return DetailKeyboard
	}
	if j, i, ok := t.mainCut(); ok && keyboardWalk(t.low[j:i]) {
		return DetailKeyboard // qwertyuiop2024!
	}
	var kb [maxKeyBytes]byte
	lookups := 0
	for j := 0; j < t.n; j++ {
		if t.pre[j] > affixBudget {
			continue
		}
		for i := t.n; i > j; i-- {
			if !t.cut(j, i) {
				continue
			}
			if lookups++; lookups > maxLookups {
				return ""
			}
			k, ok := t.key(&kb, j, i)
			if !ok {
				continue
			}
			switch {
			case inSorted(r.extra, k):
				return DetailSite
			case c.Breached.Contains(k):
				return DetailList
			}
		}
	}
	return ""
}

// passwordLists checks password.context_words and password.blocklist_extra
// and, when the policy is valid so far, prepares them for the check.
func (v *policyValidator) passwordLists() {
	pw := &v.p.Password
	v.wordList("password.context_words", pw.ContextWords, MaxContextWords)
	v.wordList("password.blocklist_extra", pw.BlocklistExtra, MaxBlocklistExtra)
	if v.err == nil {
		pw.compileLists()
	}
}

func (v *policyValidator) wordList(path string, words []string, maxEntries int) {
	v.int(path, len(words), intRange{lo: 0, hi: maxEntries, why: "entries"})
	for i, w := range words {
		if n := utf8.RuneCountInString(w); n == 0 || n > MaxListWordChars {
			v.int(path+"["+itoa(i)+"]", n, intRange{lo: 1, hi: MaxListWordChars, why: "characters"})
		}
	}
}

// decodePolicyStrings reads a list-of-strings field (null is no list).
func decodePolicyStrings(d *jsonx.Decoder, path string, k jsonx.Kind, dst *[]string) error {
	if k != jsonx.Array && k != jsonx.Null {
		v, err := d.Raw()
		if err != nil {
			return err
		}
		return policyWrongType(path, v, k, "an array of strings")
	}
	l, err := d.Strings()
	if err != nil {
		return &PolicyError{Field: path, Msg: "want an array of strings"}
	}
	*dst = l
	return nil
}
