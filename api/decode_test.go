package api

import (
	"strings"
	"testing"
)

// Regression: json.Decoder.More is false before a stray '}' or ']', so a
// request with one used to be accepted.
func TestDecodeStrictTrailing(t *testing.T) {
	for _, c := range []struct {
		in string
		ok bool
	}{
		{`{"pin":"802163"}`, true},
		{"{\"pin\":\"802163\"}\n \t", true},
		{`{"pin":"802163"}}`, false},
		{`{"pin":"802163"}]`, false},
		{`{"pin":"802163"} {}`, false},
		{`{"pin":"802163"} 1`, false},
		{`{"pin":"802163"`, false},
		{`{"pn":"802163"}`, false},
	} {
		var r PINRequest
		err := decodeStrict([]byte(c.in), &r)
		if (err == nil) != c.ok {
			t.Errorf("decodeStrict(%#q) = %v, want ok=%v", c.in, err, c.ok)
		}
		if err != nil && strings.Contains(err.Error(), "802163") {
			t.Errorf("decodeStrict(%#q): error %q echoes the secret", c.in, err)
		}
	}
}
