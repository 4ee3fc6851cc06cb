package core

import "testing"

func TestIsKeypadLine(t *testing.T) {
	lines := []string{
		"123", "321", "456", "654", "789", "987", // rows
		"147", "741", "258", "852", "2580", "0852", "580", "085", "369", "963", // columns
		"159", "951", "357", "753", // diagonals
	}
	for _, s := range lines {
		if !isKeypadLine(s) {
			t.Errorf("isKeypadLine(%q) = false, want true", s)
		}
	}
	for _, s := range []string{"", "1", "12", "13", "137", "1379", "1478", "2589", "111", "1593", "7890", "890", "480", "12345"} {
		if isKeypadLine(s) {
			t.Errorf("isKeypadLine(%q) = true, want false", s)
		}
	}
}

func TestKeypadRun(t *testing.T) {
	for _, tt := range []struct {
		s          string
		k          int
		start, end int
		ok         bool
	}{
		{"925806", 3, 1, 5, true},
		{"925806", 4, 1, 5, true},
		{"925806", 5, 0, 0, false},
		{"1236", 3, 0, 3, true},
		{"1236", 4, 0, 0, false},
		{"14789", 3, 0, 3, true}, // 147, then a turn into 789
		{"04789", 3, 2, 5, true},
		{"14789", 4, 0, 0, false},
		{"2468", 3, 0, 0, false},
		{"9", 3, 0, 0, false},
	} {
		s, e, ok := keypadRun(tt.s, tt.k)
		if ok != tt.ok || ok && (s != tt.start || e != tt.end) {
			t.Errorf("keypadRun(%q, %d) = %d, %d, %v, want %d, %d, %v", tt.s, tt.k, s, e, ok, tt.start, tt.end, tt.ok)
		}
	}
}
