package auditcore

import "testing"

func TestParseDate(t *testing.T) {
	for in, want := range map[string]string{"1980-07-04": "1980-07-04", "07/04/1980": "1980-07-04", "7/4/1980": "1980-07-04", "19800704": "1980-07-04", "04.07.1980": "1980-07-04"} {
		if got, ok := parseDate(in); !ok || got != want {
			t.Errorf("parseDate(%q) = %q, %v", in, got, ok)
		}
	}
	for _, in := range []string{"1980-13-01", "yesterday", "04/07"} {
		if _, ok := parseDate(in); ok {
			t.Errorf("parseDate(%q) accepted", in)
		}
	}
}
