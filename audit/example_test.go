package audit_test

import (
	"context"
	"fmt"
	"os"

	tollgate "github.com/tollgate/tollgate"
	"github.com/tollgate/tollgate/api"
	"github.com/tollgate/tollgate/audit"
)

// Auditing a small export held in memory, with the JSON Lines report:
// one record per row, in order.
func Example() {
	ctx := context.Background()
	tg, err := tollgate.New(ctx) // the native engine; tollgate.WithEngine(tollgate.Wasm) gives the same records
	if err != nil {
		fmt.Println(err)
		return
	}
	defer tg.Close()

	users := "Alias,Extension,Voicemail PIN,Transfer Number\n" +
		"ann,4021,4021,\n" +
		"bob,4022,739146,901144201234\n" +
		"cid,4023,739146,\n"
	sum, err := audit.Run(ctx, audit.Config{Engine: tg}, audit.BytesInput("users.csv", []byte(users)), audit.NewJSONSink(os.Stdout))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%d rows, %d findings, %d PIN held by several users\n", sum.Rows, sum.Findings, sum.SharedPINs)
	// Output:
	// {"line":2,"alias":"ann","findings":[{"code":"too_short","field":"pin","message":"Too short: use at least 6 characters."},{"code":"contains_extension","field":"pin","message":"Do not include your primary extension."}]}
	// {"line":3,"alias":"bob","findings":[{"code":"blocked_number","field":"transfer_number","message":"the restriction table \"Default Transfer\" would refuse this number: row 1, pattern 9011???????*"},{"code":"shared_pin","field":"pin","message":"2 users in this file have this same PIN (a template's default?); give each a unique PIN"}]}
	// {"line":4,"alias":"cid","findings":[{"code":"shared_pin","field":"pin","message":"2 users in this file have this same PIN (a template's default?); give each a unique PIN"}]}
	// 3 rows, 5 findings, 1 PIN held by several users
}

// printSink is a Sink of one's own: here, one line per finding.
type printSink struct{}

func (printSink) Record(r *audit.Record) error {
	for _, f := range r.Findings {
		fmt.Printf("line %d (%s): %s on %s\n", r.Line, r.Alias, f.Code, f.Field)
	}
	return nil
}

func (printSink) End(s *audit.Summary) error {
	fmt.Printf("%d rows with findings of %d, policy %s\n", s.RowsWithFindings, s.Rows, s.Policy)
	return nil
}

// Auditing under another policy, into a Sink of one's own. A nil Engine
// is a native one made for the run.
func ExampleRun() {
	users := "User ID,PIN,Web Password\n" +
		"ann,13579,ann2024\n" +
		"bob,80241953,kX9#vTq2!mWz\n"
	cfg := audit.Config{Policy: api.Profile("exchange-um")}
	if _, err := audit.Run(context.Background(), cfg, audit.BytesInput("users.csv", []byte(users)), printSink{}); err != nil {
		fmt.Println(err)
	}
	// Output:
	// line 2 (ann): too_short on pin
	// line 2 (ann): few_classes on password
	// 1 rows with findings of 2, policy exchange-um
}
