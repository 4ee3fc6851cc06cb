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

// commonPasswords is the built-in password blocklist, compared with the
// whole password, case-insensitively (NIST SP 800-63B-4 §3.1.1.2: whole
// value, not substrings). It was written for tollgate from general
// knowledge of the passwords every published "most common passwords"
// ranking of the last decade puts at the top (keyboard rows and walks,
// digit runs, "password" and its respellings, greetings, pets' and sports
// words, seasons with years) plus vendor defaults a voice-system
// administrator meets (cisco, changeme). It copies no breach file and is
// deliberately small: a long tail belongs in the tenant's own list.
var commonPasswords = map[string]struct{}{}

func init() {
	for _, w := range strings.Fields(`
123456 123456789 12345678 1234567 12345 1234567890 1234 111111 000000 123123
1234561 654321 666666 121212 112233 123321 987654321 11111111 88888888 7777777
password password1 password12 password123 password1! passw0rd p@ssword p@ssw0rd
p@$$w0rd pa$$word pass123 pass1234 passwd password! password2 password01
qwerty qwerty1 qwerty12 qwerty123 qwertyuiop qwert asdfgh asdfghjkl asdf1234
zxcvbnm zxcvbn 1q2w3e 1q2w3e4r 1q2w3e4r5t q1w2e3r4 1qaz2wsx zaq12wsx zaq1zaq1
qazwsx azerty abc123 abcd1234 abcdef abcdefg a1b2c3 aa123456 123abc 123qwe
iloveyou iloveyou1 letmein letmein1 welcome welcome1 welcome123 welcome1!
admin admin123 admin1234 administrator root toor guest test test123 testing
changeme changeme1 changeme123 default secret secret123 master master123
login access access14 trustno1 whatever nothing hello hello123 hellokitty
monkey dragon shadow sunshine princess football baseball basketball soccer
hockey superman batman michael jennifer jordan23 charlie buster tigger
pokemon starwars freedom flower mustang matrix computer internet samsung
cisco cisco123 cisco1234 ciscocisco voicemail voicemail1 unity connection
summer2023 summer2024 summer2025 summer2026 winter2023 winter2024
winter2025 winter2026 spring2024 spring2025 spring2026 autumn2024 autumn2025
fall2024 fall2025 fall2026 january1 company1 company123 money123 lovely
`) {
		commonPasswords[w] = struct{}{}
	}
}

// commonPassword reports whether pw, ignoring case, is on the list.
func commonPassword(pw string) bool {
	if len(pw) > 32 {
		return false // no entry is this long; skip the lower-casing
	}
	_, ok := commonPasswords[strings.ToLower(pw)]
	return ok
}
