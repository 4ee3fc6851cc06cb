package conformance

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// matchCase is one row of testdata/match.json, the matcher's rules as a
// table; js/test/corpus-match.test.mjs holds the JS matcher to the same.
type matchCase struct {
	Name string          `json:"name"`
	Want json.RawMessage `json:"want"`
	Got  json.RawMessage `json:"got"`
	// At is the path of the first difference; nil when want matches got.
	At *string `json:"at"`
}

func loadMatchTable(t *testing.T) []matchCase {
	t.Helper()
	data, err := os.ReadFile("testdata/match.json")
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Comment string      `json:"comment"`
		Cases   []matchCase `json:"cases"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		t.Fatalf("testdata/match.json: %v", err)
	}
	if len(f.Cases) < 20 {
		t.Fatalf("testdata/match.json: %d cases", len(f.Cases))
	}
	return f.Cases
}

func TestMatchTable(t *testing.T) {
	matching, differing := 0, 0
	for _, tc := range loadMatchTable(t) {
		t.Run(tc.Name, func(t *testing.T) {
			err := Match(tc.Want, tc.Got)
			switch {
			case tc.At == nil && err != nil:
				t.Errorf("Match(%s, %s) = %v, want a match", tc.Want, tc.Got, err)
			case tc.At != nil && err == nil:
				t.Errorf("Match(%s, %s) matched, want a difference at %s", tc.Want, tc.Got, *tc.At)
			case tc.At != nil && !strings.HasPrefix(err.Error(), *tc.At+": "):
				t.Errorf("Match(%s, %s) = %q, want the difference at %s", tc.Want, tc.Got, err, *tc.At)
			}
		})
		if tc.At == nil {
			matching++
		} else {
			differing++
		}
	}
	// Both kinds of row, in numbers: a table of only matches would pass
	// a matcher that always succeeds.
	if matching < 5 || differing < 15 {
		t.Errorf("table has %d matching and %d differing pairs", matching, differing)
	}
}

// Match reads its arguments as JSON; text that is not (or has more than
// one value) is an error, not a match.
func TestMatchNotJSON(t *testing.T) {
	for _, tc := range []struct{ want, got, msg string }{
		{`{"accepted": true}`, ``, "response is not JSON"},
		{`{"accepted": true}`, `{"accepted": true`, "response is not JSON"},
		{`{"accepted": true}`, `{"accepted": true}{"accepted": false}`, "response is not JSON"},
		{`{"accepted": true}`, `panic: runtime error`, "response is not JSON"},
		{`{"accepted": tru}`, `{"accepted": true}`, "want is not JSON"},
		{``, `{}`, "want is not JSON"},
	} {
		err := Match([]byte(tc.want), []byte(tc.got))
		if err == nil || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("Match(%q, %q) = %v, want %q", tc.want, tc.got, err, tc.msg)
		}
	}
}

// A difference names both sides, so a failing corpus case says what it
// got, not only where.
func TestMatchSaysWhatDiffers(t *testing.T) {
	err := Match([]byte(`{"reasons": [{"code": "too_short", "limit": 6}]}`), []byte(`{"reasons": [{"code": "too_short", "limit": 4}]}`))
	if err == nil || err.Error() != "$.reasons[0].limit: want 6, got 4" {
		t.Errorf("err = %v", err)
	}
	err = Match([]byte(`{"accepted": false, "reasons": [{"code": "a"}]}`), []byte(`{"accepted": false, "reasons": []}`))
	if err == nil || err.Error() != `$.reasons: want 1 elements [{"code":"a"}], got 0 []` {
		t.Errorf("err = %v", err)
	}
}
