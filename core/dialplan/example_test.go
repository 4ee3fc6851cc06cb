package dialplan_test

import (
	"fmt"

	"github.com/tollgate/tollgate/core/dialplan"
)

func Example() {
	set, err := dialplan.Parse("tables.json", []byte(`{"trunk_access_codes": ["99"],
		"tables": [{"name": "Outdial", "rows": [
			{"pattern": "900*", "blocked": true},
			{"pattern": "9011???????*", "blocked": true},
			{"pattern": "*", "blocked": false}]}]}`))
	if err != nil {
		panic(err)
	}
	t, _ := set.Table("Outdial")
	for _, n := range []string{"9123", "900", "99900", "9 011 44 20 7946 0000", "9a"} {
		r := t.MatchString(n)
		fmt.Println(n, r.Allowed, r.Reason, r.Row, t.Pattern(r))
	}
	// Output:
	// 9123 true matched 2 *
	// 900 false matched 0 900*
	// 99900 false matched 0 99900*
	// 9 011 44 20 7946 0000 false matched 1 9011???????*
	// 9a false invalid -1
}

func ExampleLint() {
	set, _ := dialplan.Builtin(dialplan.SetDefault)
	for _, f := range dialplan.Lint(set) {
		if f.Severity == dialplan.SevError {
			fmt.Println(f.Code, f.Table)
		}
	}
	// Output:
	// no_operator_block Default Transfer
	// no_operator_block Default Outdial
	// no_operator_block Default Fax
}

// A host explains a refused number with the catalogue's code and
// sentence, never its own words.
func ExampleReason_RefusalMessage() {
	set, err := dialplan.Parse("tables.json", []byte(`{"tables": [{"name": "Transfer", "max_digits": 16, "rows": [
		{"pattern": "9011*", "blocked": true},
		{"pattern": "*", "blocked": false}]}]}`))
	if err != nil {
		panic(err)
	}
	t, _ := set.Table("Transfer")
	for _, n := range []string{"9011442079460000", "90114420794600001", "2001"} {
		r := t.MatchString(n)
		if !r.Allowed {
			fmt.Println(r.Reason.RefusalCode()+":", r.Reason.RefusalMessage())
		}
	}
	// Output:
	// blocked: This number is blocked by the restriction table.
	// too_long: This number has too many digits.
}
