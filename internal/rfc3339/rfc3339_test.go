package rfc3339

import (
	"regexp"
	"testing"
	"time"
)

// strict is RFC 3339's grammar. time.Parse also takes a few things outside
// it (a one-digit hour); Parse refuses those.
var strict = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}([.,]\d+)?(Z|[+-]\d{2}:\d{2})$`)

func check(t *testing.T, s string) {
	want, err := time.Parse(time.RFC3339Nano, s)
	got, ok := Parse(s)
	if !strict.MatchString(s) {
		if ok {
			t.Fatalf("Parse(%q) accepts a string outside RFC 3339", s)
		}
		return
	}
	if ok != (err == nil) {
		t.Fatalf("Parse(%q) ok=%v, time.Parse err=%v", s, ok, err)
	}
	if !ok {
		return
	}
	if !got.Equal(want) || got.Location() != time.UTC {
		t.Fatalf("Parse(%q) = %v, time.Parse = %v", s, got, want)
	}
	if a, b := string(Append(nil, got)), want.UTC().Format(time.RFC3339Nano); a != b {
		t.Fatalf("Append of %q = %q, Format = %q", s, a, b)
	}
}

func TestAgainstTimePackage(t *testing.T) {
	for _, s := range []string{
		"2026-01-05T09:00:00Z", "2026-01-05T09:00:00.5Z", "2026-01-05T09:00:00,123456789+05:30",
		"2024-02-29T23:59:59-00:00", "2023-02-29T00:00:00Z", "2026-13-01T00:00:00Z", "2026-04-31T00:00:00Z",
		"0000-01-01T00:00:00Z", "9999-12-31T23:59:59.999999999-23:59", "2026-01-05T24:00:00Z",
		"2026-01-05T09:00:60Z", "2026-01-05t09:00:00Z", "2026-01-05T09:00:00", "2026-01-05T09:00:00.Z",
		"2026-01-05T09:00:00.1234567890Z", "2026-01-05T09:00:00+24:00", "2026-01-05T09:00:00+0530",
		"2026-01-05T09:00:00z", "+026-01-05T09:00:00Z", "2026-1-05T09:00:00Z", "",
		"2026-01-05T09:00:00.000Z", "2026-01-05T09:00:00.100Z", "0000-10-01T0:00:00Z",
	} {
		check(t, s)
	}
}

func TestAppendExtremes(t *testing.T) {
	for _, tm := range []time.Time{{}, time.Unix(0, 1), time.Date(12345, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(-5, 3, 1, 1, 2, 3, 40, time.UTC)} {
		if a, b := string(Append(nil, tm)), tm.UTC().Format(time.RFC3339Nano); a != b {
			t.Errorf("Append(%v) = %q, Format = %q", tm, a, b)
		}
	}
}

// FuzzParse holds Parse and Append to the time package (the oracle).
func FuzzParse(f *testing.F) {
	f.Add("2026-01-05T09:00:00.25+01:00")
	f.Add("1999-12-31T23:59:59Z")
	f.Fuzz(func(t *testing.T, s string) { check(t, s) })
}
