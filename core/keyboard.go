package core

import "strings"

// Keyboard walks: a password typed by moving to neighbouring keys
// (qwertyuiop, 1qaz2wsx3edc, zxcvbnm123456, q1w2e3r4) on a US keyboard,
// shifted or not, or on a keypad (147258369, 789456123).

// qwertyRows are the rows of a US keyboard, unshifted then shifted; a
// shifted character sits on its key.
var qwertyRows = [8]string{
	"`1234567890-=", "qwertyuiop[]\\", "asdfghjkl;'", "zxcvbnm,./",
	"~!@#$%^&*()_+", "QWERTYUIOP{}|", "ASDFGHJKL:\"", "ZXCVBNM<>?",
}

// qwertyKey returns a character's row and the x of its key's centre in
// quarter keys: rows are staggered, their first keys' centres 0.5, 2,
// 2.25 and 2.75 keys in from the left edge (Tab, Caps Lock and Shift are
// 1.5, 1.75 and 2.25 keys wide).
func qwertyKey(c byte) (row, x int, ok bool) {
	for r, s := range qwertyRows {
		if i := strings.IndexByte(s, c); i >= 0 {
			row = r & 3
			return row, int("\x02\x08\x09\x0b"[row]) + 4*i, true
		}
	}
	return 0, 0, false
}

// Layouts: the keyboard and the phone keypad (keyPos, keypad.go). A
// numeric keypad is the phone's upside down, so its walks are the same but
// for 0.
const (
	layoutQwerty = iota
	layoutPhone
)

// adjacent reports whether a and b are distinct neighbouring keys.
func adjacent(layout int, a, b rune) bool {
	if a == b || a >= 128 || b >= 128 || a < 0 || b < 0 {
		return false
	}
	if layout == layoutQwerty {
		ra, xa, oka := qwertyKey(byte(a))
		rb, xb, okb := qwertyKey(byte(b))
		if !oka || !okb {
			return false
		}
		dx := xa - xb
		if dx < 0 {
			dx = -dx
		}
		switch ra - rb {
		case 0:
			return dx == 4
		case 1, -1:
			return dx < 4
		}
		return false
	}
	if !isDigit(a) || !isDigit(b) {
		return false
	}
	pa, pb := keyPos[a-'0'], keyPos[b-'0']
	dx, dy := pa[0]-pb[0], pa[1]-pb[1]
	return dx >= -1 && dx <= 1 && dy >= -1 && dy <= 1
}

// keyboardWalk reports whether s (lower case, four characters or more) is
// a keyboard walk on some layout: pieces of at least three neighbouring
// keys, at most one piece per three characters; or two such walks
// interleaved (q1w2e3r4).
func keyboardWalk(s []rune) bool {
	if len(s) < 4 {
		return false
	}
	for layout := layoutQwerty; layout <= layoutPhone; layout++ {
		if walkOn(layout, s, 0, 1) {
			return true
		}
	}
	// Two walks interleaved, on the keyboard only (on the keypad nearly
	// any digits would do).
	if len(s) >= 8 && walkOn(layoutQwerty, s, 0, 2) && walkOn(layoutQwerty, s, 1, 2) {
		return true
	}
	return false
}

// walkOn tests the characters s[from], s[from+stride], ... on one layout.
// On the phone keypad, where most digits neighbour each other, a piece
// must also keep its direction (147, 2580, 159: a keypad line).
func walkOn(layout int, s []rune, from, stride int) bool {
	n := (len(s) - from + stride - 1) / stride
	pieces, run := 1, 1
	var dx, dy int8
	for k := from + stride; k < len(s); k += stride {
		a, b := s[k-stride], s[k]
		if adjacent(layout, a, b) {
			if layout == layoutPhone {
				ex, ey, _ := keyStep(byte(a), byte(b))
				if run > 1 && (ex != dx || ey != dy) {
					if run < 3 {
						return false
					}
					pieces++
					run = 1 // the turn's second key starts the next piece
					k -= stride
					continue
				}
				dx, dy = ex, ey
			}
			run++
			continue
		}
		if run < 3 {
			return false
		}
		pieces++
		run = 1
	}
	return run >= 3 && pieces <= max(1, n/3)
}
