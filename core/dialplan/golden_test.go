package dialplan

import "testing"

// The Cisco guide's examples (seed 001 and the SAG): 9123 is allowed,
// 91 + 7 digits is blocked (long distance), 9011... is blocked
// (international), and with a second trunk access code 99 a blocked 900
// also blocks 99900.
func TestCiscoGolden(t *testing.T) {
	def, err := Builtin(SetDefault)
	if err != nil {
		t.Fatal(err)
	}
	tr := def.DefaultTable()
	withTrunk, err := Parse("", []byte(`{"trunk_access_codes": ["99"], "tables": [{"name": "Outdial",
		"rows": [{"pattern": "900*", "blocked": true}, {"pattern": "*", "blocked": false}]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	out := withTrunk.DefaultTable()
	tests := []struct {
		table   *Table
		number  string
		allowed bool
		reason  Reason
		row     int32
		pattern string
	}{
		{tr, "9123", true, ReasonMatched, 2, "*"},
		{tr, "915551234", false, ReasonMatched, 0, "91???????*"}, // 91 + 7 digits
		{tr, "91555123", true, ReasonMatched, 2, "*"},            // 91 + 6 digits
		{tr, "9 1 555 1234", false, ReasonMatched, 0, "91???????*"},
		{tr, "914085551234", false, ReasonMatched, 0, "91???????*"},
		{tr, "9011441234567", false, ReasonMatched, 1, "9011???????*"},
		{tr, "900", true, ReasonMatched, 2, "*"}, // the hole FN20913 describes
		{tr, "", false, ReasonTooShort, -1, ""},
		{tr, "9a", false, ReasonInvalid, -1, ""},
		{out, "900", false, ReasonMatched, 0, "900*"},
		{out, "99900", false, ReasonMatched, 0, "99900*"},
		{out, "9990012", false, ReasonMatched, 0, "99900*"},
		{out, "99800", true, ReasonMatched, 1, "*"},
	}
	for _, tc := range tests {
		r := tc.table.MatchString(tc.number)
		if r.Allowed != tc.allowed || r.Reason != tc.reason || r.Row != tc.row || tc.table.Pattern(r) != tc.pattern {
			t.Errorf("%s.Match(%q) = allowed %v %s row %d %q, want %v %s row %d %q", tc.table.Name(), tc.number,
				r.Allowed, r.Reason, r.Row, tc.table.Pattern(r), tc.allowed, tc.reason, tc.row, tc.pattern)
		}
	}
}
