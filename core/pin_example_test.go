package core_test

import (
	"fmt"

	"github.com/tollgate/tollgate/core"
)

func ExamplePolicy_CheckPIN() {
	p, _ := core.Profile("cuc")
	ctx := core.PINContext{Extensions: []string{"36697"}, LastName: "O'Brien"}
	var v core.Verdict // reuse it: the check then allocates nothing
	for _, pin := range []string{"408408", "136697", "627436", "739164"} {
		p.CheckPIN(pin, &ctx, &v)
		if v.Accepted {
			fmt.Println("accepted")
			continue
		}
		for _, r := range v.Reasons {
			fmt.Printf("%s [%d,%d): %s\n", r.Code, r.Start, r.End, core.Message(r))
		}
	}
	// Output:
	// repeated_group [0,6): Do not repeat a group of digits (like 408408 or 1212).
	// contains_extension [1,6): Do not include your primary extension.
	// name_digits [0,6): Do not spell your first or last name on the keypad.
	// accepted
}

func ExamplePolicy_CheckPassword() {
	p, _ := core.Profile("cuc-esm")
	ctx := core.PasswordContext{Alias: "jsmith", Old: "Tr0ub4dor&3xyz!"}
	var v core.Verdict
	p.CheckPassword("Tr0ub4dor&3xyz?", &ctx, &v)
	for _, r := range v.Reasons {
		fmt.Println(r.Code, core.Message(r))
	}
	// Output:
	// too_similar Change at least 4 characters from your current password.
}
