package main

import (
	"context"
	"testing"

	tollgate "github.com/tollgate/tollgate"
	"github.com/tollgate/tollgate/api"
)

// engines are the two engines the benchmarks compare, each with one pooled
// instance, as the JS package runs one.
var engines = []tollgate.Engine{tollgate.Native, tollgate.Wasm}

func newChecker(b *testing.B, ctx context.Context, e tollgate.Engine) *tollgate.Checker {
	b.Helper()
	c, err := tollgate.New(ctx, tollgate.WithEngine(e), tollgate.WithPoolSize(1))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close() })
	return c
}

// benchRequests are the bytes js/bench/measure.js sends, so that the Go and
// JS per-call figures in docs/performance.md compare the same work.
var benchRequests = []struct{ op, req string }{
	{"pin", `{"pin":"730196","context":{"extensions":["4021"],"first_name":"Ada","last_name":"Lovelace"}}`},
	{"password", `{"password":"Lovelace1815!","context":{"alias":"alovelace","extensions":["4021"]}}`},
	{"dial", `{"table":"Default Transfer","number":"9011441234567"}`},
}

// BenchmarkDialScalar is the scalar dial path (no JSON) from Go, next to
// the JS dialer() figure.
func BenchmarkDialScalar(b *testing.B) {
	ctx := context.Background()
	number := []byte("9011441234567")
	for _, kind := range engines {
		c := newChecker(b, ctx, kind)
		info, err := c.LoadTables(ctx, api.BuiltinTables("default"))
		if err != nil {
			b.Fatal(err)
		}
		ti, err := c.TableIndex(ctx, info.Handle, "Default Transfer", "", "")
		if err != nil {
			b.Fatal(err)
		}
		b.Run(kind.String(), func(b *testing.B) {
			b.ReportAllocs()
			var r tollgate.DialVerdict
			for b.Loop() {
				r, err = c.DialNumber(ctx, info.Handle, ti, number)
			}
			if err != nil || r.Allowed {
				b.Fatalf("9011441234567 should be blocked: %+v %v", r, err)
			}
		})
	}
}

// BenchmarkCall runs the JS benchmark's requests natively and on the
// committed module under wazero (the Go host), for the JS-versus-Go ratio.
func BenchmarkCall(b *testing.B) {
	ctx := context.Background()
	wasm := newChecker(b, ctx, tollgate.Wasm)
	s, err := session()
	if err != nil {
		b.Fatal(err)
	}
	for _, r := range benchRequests {
		req := []byte(r.req)
		want, _ := s.Do(r.op, req, nil)
		b.Run(r.op+"/native", func(b *testing.B) {
			b.ReportAllocs()
			var out []byte
			for b.Loop() {
				out, _ = s.Do(r.op, req, out[:0])
			}
			if string(out) != string(want) {
				b.Fatalf("native response changed: %s", out)
			}
		})
		b.Run(r.op+"/wazero", func(b *testing.B) {
			b.ReportAllocs()
			var got []byte
			for b.Loop() {
				got, _ = wasm.Do(ctx, r.op, req, got[:0])
			}
			if string(got) != string(want) {
				b.Fatalf("wazero response differs from native:\n%s\n%s", got, want)
			}
		})
	}
}

// regexTables is js/bench/measure.js's regexTables: the JS regex dial
// figures next to Go's (native regexp2, and the module under wazero, whose
// regex imports the Go host answers natively).
const regexTables = `{"tables":[{"name":"Regex Transfer","dialect":"regex","min_digits":1,"max_digits":30,"rows":[` +
	`{"pattern":"^9011","blocked":true},{"pattern":"^91?900","blocked":true},{"pattern":"^91?976","blocked":true},` +
	`{"pattern":"^9[2-9]\\d{6}$","blocked":false},{"pattern":"^\\d{4}$","blocked":false},{"pattern":".","blocked":true}]}]}`

// BenchmarkDialRegex: the scalar dial of a regex table, row 0 and row 5
// deciding, from Go.
func BenchmarkDialRegex(b *testing.B) {
	ctx := context.Background()
	for _, kind := range engines {
		c := newChecker(b, ctx, kind)
		info, err := c.LoadTables(ctx, api.TablesJSON([]byte(regexTables)))
		if err != nil {
			b.Fatal(err)
		}
		ti, err := c.TableIndex(ctx, info.Handle, "Regex Transfer", "", "")
		if err != nil {
			b.Fatal(err)
		}
		for _, tc := range []struct {
			name, number string
			row          int
		}{{"row0", "9011441234567", 0}, {"row5", "5551234567890", 5}} {
			number := []byte(tc.number)
			b.Run(kind.String()+"/"+tc.name, func(b *testing.B) {
				var r tollgate.DialVerdict
				for b.Loop() {
					r, err = c.DialNumber(ctx, info.Handle, ti, number)
				}
				if err != nil || r.Allowed || r.Row != tc.row {
					b.Fatalf("%s: want blocked by row %d, got %+v %v", tc.number, tc.row, r, err)
				}
			})
		}
	}
}
