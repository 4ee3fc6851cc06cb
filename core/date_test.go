package core

import "testing"

func TestParseDOB(t *testing.T) {
	for _, tt := range []struct {
		s    string
		want dobParts
		ok   bool
	}{
		{"1990-07-04", dobParts{{"04", "4"}, {"07", "7"}, {"1990", "90"}}, true},
		{"2001-12-25", dobParts{{"25", ""}, {"12", ""}, {"2001", "01"}}, true},
		{"2000-02-29", dobParts{{"29", ""}, {"02", "2"}, {"2000", "00"}}, true},
		{"1900-02-29", dobParts{}, false},
		{"1990-13-01", dobParts{}, false},
		{"1990-7-4", dobParts{}, false},
		{"04/07/1990", dobParts{}, false},
		{"", dobParts{}, false},
	} {
		got, ok := parseDOB(tt.s)
		if ok != tt.ok || ok && got != tt.want {
			t.Errorf("parseDOB(%q) = %v, %v, want %v, %v", tt.s, got, ok, tt.want, tt.ok)
		}
	}
}

// TestCalendarDateShare keeps the date rule's reach in view: the share of
// each PIN length it refuses (with Year 2026).
func TestCalendarDateShare(t *testing.T) {
	for _, tt := range []struct{ digits, lo, hi int }{
		{4, 650, 700},     // MMDD ∪ DDMM (588) + 102 years
		{6, 80000, 90000}, // three layouts of 36,600 days, overlapping
	} {
		n, limit := 0, 1
		for i := 0; i < tt.digits; i++ {
			limit *= 10
		}
		buf := make([]byte, tt.digits)
		for i := 0; i < limit; i++ {
			for j, x := tt.digits-1, i; j >= 0; j, x = j-1, x/10 {
				buf[j] = byte('0' + x%10)
			}
			if _, ok := calendarDate(string(buf), 2026); ok {
				n++
			}
		}
		if n < tt.lo || n > tt.hi {
			t.Errorf("%d digits: %d dates, want %d..%d", tt.digits, n, tt.lo, tt.hi)
		}
	}
}
