package jsonx

import "math/bits"

// Atoi is strconv.Atoi without its error value: ok is false exactly where
// Atoi fails (an empty string, a byte other than a digit after an optional
// sign, a value outside int). strconv's *NumError quotes its input with
// strconv.Quote, whose code and tables cost the WebAssembly module 7 KB
// gzip; every caller in the module only asks whether parsing failed.
func Atoi(s string) (n int, ok bool) {
	neg := false
	if s != "" && (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-'
		s = s[1:]
	}
	if s == "" {
		return 0, false
	}
	const limit = uint(1) << (bits.UintSize - 1) // -MinInt, MaxInt+1
	var u uint
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' || u > limit/10 {
			return 0, false
		}
		if u = u*10 + uint(c-'0'); u > limit {
			return 0, false
		}
	}
	switch {
	case neg:
		return -int(u), true // -int(limit) is MinInt
	case u == limit:
		return 0, false
	}
	return int(u), true
}
