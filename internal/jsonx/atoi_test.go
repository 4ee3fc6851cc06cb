package jsonx

import (
	"strconv"
	"testing"
)

func TestAtoi(t *testing.T) {
	for _, s := range []string{
		"", "0", "7", "-0", "+0", "+", "-", "+-1", "12a", " 1", "1 ", "007", "1_000", "0x10",
		"9223372036854775807", "9223372036854775808", "-9223372036854775808", "-9223372036854775809",
		"18446744073709551615", "18446744073709551616", "99999999999999999999", "1844674407370955161",
	} {
		checkAtoi(t, s)
	}
}

// FuzzAtoi holds Atoi to strconv.Atoi.
func FuzzAtoi(f *testing.F) {
	f.Add("123")
	f.Add("-9223372036854775808")
	f.Fuzz(checkAtoi)
}

func checkAtoi(t *testing.T, s string) {
	want, err := strconv.Atoi(s)
	if got, ok := Atoi(s); ok != (err == nil) || got != want && ok {
		t.Errorf("Atoi(%q) = %d, %v; strconv.Atoi: %d, %v", s, got, ok, want, err)
	}
}
