package core

import (
	"unicode"
	"unicode/utf8"
)

// Dial-by-name digits. A directory spells a name on the keypad letter by
// letter (E.161: abc=2 … wxyz=9), so "Zoë O'Brien" is 963 for the first
// name and 627436 for the last: accents are folded to their base letter by
// the small table below (core may not use golang.org/x/text), and anything
// that is not a letter (apostrophes, hyphens, spaces, digits, scripts the
// table does not cover) is dropped, as a phone directory would.

// foldTable maps accented Latin letters (lower case) to the ASCII letters a
// directory dials for them. It covers Latin-1 and Latin Extended-A, which
// is what Unity Connection and Unified CM directories hold in practice.
var foldTable = map[rune]string{}

func init() {
	for _, e := range [...]struct{ from, to string }{
		{"àáâãäåāăąǎ", "a"},
		{"çćĉċč", "c"},
		{"ďđð", "d"},
		{"èéêëēĕėęě", "e"},
		{"ĝğġģ", "g"},
		{"ĥħ", "h"},
		{"ìíîïĩīĭįı", "i"},
		{"ĵ", "j"},
		{"ķ", "k"},
		{"ĺļľŀł", "l"},
		{"ñńņňŉ", "n"},
		{"òóôõöøōŏőǒ", "o"},
		{"ŕŗř", "r"},
		{"śŝşšș", "s"},
		{"ţťŧț", "t"},
		{"ùúûüũūŭůűųǔ", "u"},
		{"ŵ", "w"},
		{"ýÿŷ", "y"},
		{"źżž", "z"},
	} {
		for _, r := range e.from {
			foldTable[r] = e.to
		}
	}
	foldTable['æ'] = "ae"
	foldTable['œ'] = "oe"
	foldTable['ß'] = "ss"
	foldTable['þ'] = "th"
}

// foldLetters returns the ASCII letters (lower case) r stands for in a
// directory, or "" when r is not a letter the table knows.
func foldLetters(r rune) string {
	if r < utf8.RuneSelf {
		switch {
		case r >= 'a' && r <= 'z':
			return asciiLetters[r-'a' : r-'a'+1]
		case r >= 'A' && r <= 'Z':
			return asciiLetters[r-'A' : r-'A'+1]
		}
		return ""
	}
	l := unicode.ToLower(r)
	if l >= 'a' && l <= 'z' { // İ lowers to i
		return asciiLetters[l-'a' : l-'a'+1]
	}
	return foldTable[l]
}

const asciiLetters = "abcdefghijklmnopqrstuvwxyz"

// equalsNameDigits reports whether pin (digits) is exactly the
// dial-by-name digits of name. A name without any letter matches nothing.
// It streams the name, so it neither allocates nor reads past a mismatch.
func equalsNameDigits(pin, name string) bool {
	i := 0
	for _, r := range name {
		for _, l := range []byte(foldLetters(r)) {
			if i >= len(pin) || pin[i] != t9[l-'a'] {
				return false
			}
			i++
		}
	}
	return i > 0 && i == len(pin)
}

// NameDigits returns the dial-by-name digits of name (letters folded,
// everything else dropped). It is the reference the PIN rule follows and
// the CLI's way to explain it; the PIN check itself does not allocate.
func NameDigits(name string) string {
	var b []byte
	for _, r := range name {
		for _, l := range []byte(foldLetters(r)) {
			b = append(b, t9[l-'a'])
		}
	}
	return string(b)
}
