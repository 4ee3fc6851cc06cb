package dialplan

// The alphabet of a normalized number: the twelve keys of a phone keypad
// plus '+'. Patterns and automata work on symbol indexes 0..nsym-1.
const (
	nsym    = 13
	symStar = 10 // '*'
	symHash = 11 // '#'
	symPlus = 12 // '+'
	stride  = 16 // transition row width: a power of two, so s<<4|sym indexes it
)

// symSet is a set of symbols, bit i for symbol i.
type symSet uint16

const (
	anySyms   symSet = 1<<nsym - 1
	digitSyms symSet = 1<<10 - 1
)

// Byte classes used by normalization: a symbol (0..12), a separator that is
// dropped, or a byte that makes the number invalid.
const (
	clsSep     int8 = -1
	clsInvalid int8 = -2
)

var byteClass = func() (t [256]int8) {
	for i := range t {
		t[i] = clsInvalid
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = int8(c - '0')
	}
	t['*'], t['#'], t['+'] = symStar, symHash, symPlus
	for _, c := range " -().\t" {
		t[c] = clsSep
	}
	return t
}()

var symByte = [nsym]byte{'0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '#', '+'}

func symOf(c byte) (int, bool) {
	k := byteClass[c]
	return int(k), k >= 0
}

// Normalize appends the normalized form of number to dst: digits, '*', '#'
// and '+' are kept; spaces, tabs, '-', '(', ')' and '.' are dropped and
// counted; any other byte makes the number invalid, and bad is the byte
// offset of the first such byte (-1 when the number is valid). It does not
// allocate when dst has room for the number.
func Normalize(dst, number []byte) (out []byte, dropped int, bad int) {
	for i, c := range number {
		switch k := byteClass[c]; {
		case k >= 0:
			dst = append(dst, c)
		case k == clsSep:
			dropped++
		default:
			return dst, dropped, i
		}
	}
	return dst, dropped, -1
}
