package core

import "strings"

// The built-in blocklists (code common). Neither ships a breach-derived
// list.
//
// PINs: the heuristics Markert, Bailey, Golla, Dürmuth and Aviv published
// (MIT-licensed scripts, "This PIN Can Be Easily Guessed", IEEE S&P 2020),
// which rebuild Apple's iOS blocklists exactly — 274 four-digit and 2,910
// six-digit PINs — reimplemented here as rules. Other lengths have no
// published list; for them the whole-PIN shapes those lists are made of
// are refused: one digit throughout, one run of the digit ring (see
// sequenceRun; the list wraps from 9 to 0 whatever sequence_wraps says,
// because 1234567890 and 0987654321 are among the PINs people pick most),
// and one group of up to three digits repeated (12121212, 1231231).
//
// Passwords: commonPasswords below.

// The 24 four-digit PINs of the iOS heuristic (most from Bonneau et al.
// 2012: dates, 2580 the keypad column, 5683 "love", 7465 "pink", 7667
// "poop", 2229 "baby"; 1004 and 4321 added by Markert et al.).
const ios4List = "0102 0103 0110 0111 0123 1004 1101 1102 1103 1110 1112 1123 " +
	"1201 1202 1203 1210 1211 1234 2229 2580 4321 5683 7465 7667"

// The six-digit series and the six common PINs of the iOS heuristic (the
// latter from Wang et al. 2017: 112233, 159753 the keypad X, 147258 two
// keypad columns, 520131 "I love you forever", and two from the Yahoo set).
const ios6List = "012345 098765 123456 123654 234567 321654 345678 456789 " +
	"543210 654321 765432 789456 876543 987654"
const ios6Common = "030379 101471 112233 159753 147258 520131"

// inList reports whether word (no spaces) is one of the space-separated
// entries of list, without allocating.
func inList(list, word string) bool {
	for len(list) > 0 {
		i := strings.IndexByte(list, ' ')
		if i < 0 {
			return list == word
		}
		if list[:i] == word {
			return true
		}
		list = list[i+1:]
	}
	return false
}

// commonPIN reports whether pin (digits) is on the built-in weak-PIN list,
// and by which heuristic (the Reason's Detail).
func commonPIN(pin string) (heuristic string, ok bool) {
	s := pin
	switch len(s) {
	case 4:
		switch {
		case s[0] == s[1] && s[1] == s[2] && s[2] == s[3]:
			return "aaaa", true
		case s[0] == s[2] && s[1] == s[3]:
			return "abab", true
		case s[0] == s[1] && s[2] == s[3]:
			return "aabb", true
		case num4(s, 0) >= 1956 && num4(s, 0) <= 2015:
			return "year", true
		case inList(ios4List, s):
			return "list", true
		}
	case 6:
		switch {
		case s[0] == s[1] && s[1] == s[2] && s[2] == s[3] && s[3] == s[4] && s[4] == s[5]:
			return "aaaaaa", true
		case s[0] == s[3] && s[1] == s[4] && s[2] == s[5]:
			return "abcabc", true
		case s[0] == s[5] && s[1] == s[4] && s[2] == s[3]:
			return "abccba", true
		case s[0] == s[2] && s[2] == s[4] && s[1] == s[3] && s[3] == s[5]:
			return "ababab", true
		case s[0] == s[2] && s[2] == s[4] && s[1] == s[3]:
			return "ababa?", true
		case inList(ios6List, s):
			return "series", true
		case inList(ios6Common, s):
			return "list", true
		}
	default:
		if len(s) < 2 {
			return "", false
		}
		switch {
		case periodic(s, 1):
			return "repeat", true
		case sequenceRun(s, true) != 0:
			return "series", true
		case len(s) > 3 && periodic(s, 2), len(s) > 5 && periodic(s, 3):
			return "period", true
		}
	}
	return "", false
}

// periodic reports whether s is its first k bytes repeated (the last
// repetition may be cut short).
func periodic(s string, k int) bool {
	for i := k; i < len(s); i++ {
		if s[i] != s[i-k] {
			return false
		}
	}
	return true
}
