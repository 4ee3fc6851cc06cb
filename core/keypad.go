package core

// The E.161 telephone keypad, as (column, row) positions:
//
//	1 2 3
//	4 5 6
//	7 8 9
//	* 0 #
//
// A keypad line is a run of digits where every step moves to an adjacent
// key in the same direction (row, column or diagonal, either way): 123,
// 2580, 0852, 159, 753. Keys are adjacent, so no line is longer than four
// digits (the middle column), and lines never skip a key (13 is not one).
var keyPos = [10][2]int8{
	{1, 3},                 // 0
	{0, 0}, {1, 0}, {2, 0}, // 1 2 3
	{0, 1}, {1, 1}, {2, 1}, // 4 5 6
	{0, 2}, {1, 2}, {2, 2}, // 7 8 9
}

// keyStep returns the direction from digit a to digit b (both '0'..'9')
// and whether the two keys are distinct neighbours.
func keyStep(a, b byte) (dx, dy int8, ok bool) {
	pa, pb := keyPos[a-'0'], keyPos[b-'0']
	dx, dy = pb[0]-pa[0], pb[1]-pa[1]
	ok = dx >= -1 && dx <= 1 && dy >= -1 && dy <= 1 && (dx != 0 || dy != 0)
	return dx, dy, ok
}

// isKeypadLine reports whether all of s (digits, at least three) lies in
// order on one keypad line.
func isKeypadLine(s string) bool {
	if len(s) < 3 {
		return false
	}
	dx, dy, ok := keyStep(s[0], s[1])
	if !ok {
		return false
	}
	for i := 2; i < len(s); i++ {
		ex, ey, ok := keyStep(s[i-1], s[i])
		if !ok || ex != dx || ey != dy {
			return false
		}
	}
	return true
}

// keypadRun finds the first keypad line of at least k digits inside s
// (digits) and returns its span.
func keypadRun(s string, k int) (start, end int, ok bool) {
	if k < 2 {
		k = 2
	}
	for i := 0; i+1 < len(s); {
		dx, dy, adj := keyStep(s[i], s[i+1])
		if !adj {
			i++
			continue
		}
		j := i + 1
		for j+1 < len(s) {
			ex, ey, adj := keyStep(s[j], s[j+1])
			if !adj || ex != dx || ey != dy {
				break
			}
			j++
		}
		if j-i+1 >= k {
			return i, j + 1, true
		}
		// The next run may start at j: a turn shares its corner key.
		i = j
	}
	return 0, 0, false
}

// t9 maps a lower-case ASCII letter to its E.161 key.
var t9 = [26]byte{
	'2', '2', '2', // abc
	'3', '3', '3', // def
	'4', '4', '4', // ghi
	'5', '5', '5', // jkl
	'6', '6', '6', // mno
	'7', '7', '7', '7', // pqrs
	'8', '8', '8', // tuv
	'9', '9', '9', '9', // wxyz
}
