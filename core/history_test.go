package core

import (
	"testing"

	"github.com/tollgate/tollgate/core/credential"
)

func TestReusedRecords(t *testing.T) {
	rec := func(s credential.Scheme, secret string, salt []byte) string {
		r, err := credential.Make(s, secret, salt)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	records := []string{
		rec(credential.SSHA, "739164", []byte("salt")),
		"{SSHA}not-a-record",
		rec(credential.HexSHA1, "246810", nil),
	}
	for _, tt := range []struct {
		secret string
		depth  int
		want   bool
	}{
		{"739164", 1, true},
		{"739164", 0, false},
		{"246810", 2, false}, // third entry, beyond depth
		{"246810", 3, true},
		{"999999", 3, false},
	} {
		if got := reused(tt.secret, nil, records, tt.depth, nil); got != tt.want {
			t.Errorf("reused(secret, records, depth %d) = %v, want %v", tt.depth, got, tt.want)
		}
	}
}

func TestEqualSecret(t *testing.T) {
	long := string(make([]byte, 100))
	for _, tt := range []struct {
		a, b string
		want int
	}{
		{"1234", "1234", 1},
		{"1234", "1235", 0},
		{"1234", "12345", 0},
		{"", "", 1},
		{long, long, 1},
		{long, long[1:], 0},
	} {
		if got := equalSecret(tt.a, tt.b); got != tt.want {
			t.Errorf("equalSecret(len %d, len %d) = %d, want %d", len(tt.a), len(tt.b), got, tt.want)
		}
	}
}
