package engine

import (
	"context"
	"math/rand/v2"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tollgate/tollgate/api"
	"github.com/tollgate/tollgate/core/dialplan"
)

// Benchmarks for docs/performance.md. Compare sub-benchmarks of one run
// as ratios:
//
//	go test -run '^$' -bench . -benchtime=200ms -count=6 ./internal/engine | benchstat -col /engine -
//
// BenchmarkTyped holds the issue 15 targets: each engine's typed call
// against the api.Session method it wraps ("session"), and the wasm
// engine's JSON adapter ("wasm-json").

// benchCalls are the operations of BenchmarkTyped, each as a typed call
// and as its JSON request, on tables handle h.
func benchCalls(h api.Handle) []struct {
	name, op, json string
	call           func(ctx context.Context, o api.Operations) error
} {
	pin := &api.PINRequest{Policy: api.Profile("cuc"), PIN: "135792", Context: api.PINContext{Extensions: []string{"36697"}, FirstName: "Ann", LastName: "Lee"}}
	password := &api.PasswordRequest{Policy: api.Profile("cuc"), Password: "Tr0ub4dor&3x!", Context: api.PasswordContext{Alias: "jdoe"}}
	dial := &api.DialRequest{Tables: api.TablesHandle(h), Table: "Recommended Outdial", Number: "14155551234"}
	hs := strconv.Itoa(int(h))
	return []struct {
		name, op, json string
		call           func(ctx context.Context, o api.Operations) error
	}{
		{"pin", "pin", `{"policy":"cuc","pin":"135792","context":{"extensions":["36697"],"first_name":"Ann","last_name":"Lee"}}`,
			func(ctx context.Context, o api.Operations) error { _, err := o.CheckPIN(ctx, pin); return err }},
		{"password", "password", `{"policy":"cuc","password":"Tr0ub4dor&3x!","context":{"alias":"jdoe"}}`,
			func(ctx context.Context, o api.Operations) error {
				_, err := o.CheckPassword(ctx, password)
				return err
			}},
		{"dial", "dial", `{"tables":` + hs + `,"table":"Recommended Outdial","number":"14155551234"}`,
			func(ctx context.Context, o api.Operations) error { _, err := o.Dial(ctx, dial); return err }},
	}
}

// BenchmarkTyped is each operation typed: on api.Session directly, on the
// native engine, on the wasm engine, and on the wasm engine through its
// JSON adapter (api.Do). Targets (issue 15): native within 1.2× of session.
func BenchmarkTyped(b *testing.B) {
	ctx := context.Background()
	s := testSession(b)
	n := newTestEngine(b, Native)
	w := newTestEngine(b, Wasm)
	type runner struct {
		name string
		ops  api.Operations
		json bool
	}
	var h api.Handle
	for _, o := range []api.Operations{s, n, w} {
		info, err := o.LoadTables(ctx, api.BuiltinTables("recommended"))
		if err != nil {
			b.Fatal(err)
		}
		h = info.Handle // 0 in each
	}
	for _, c := range benchCalls(h) {
		req := []byte(c.json)
		for _, r := range []runner{{"session", s, false}, {"native", n, false}, {"wasm", w, false}, {"wasm-json", w, true}} {
			b.Run(c.name+"/engine="+r.name, func(b *testing.B) {
				// Once before timing: the first call on a handle loads its
				// document into the instance, growing the module's memory.
				if err := c.call(ctx, r.ops); err != nil {
					b.Fatal(err)
				}
				b.ReportAllocs()
				var out []byte
				for b.Loop() {
					var err error
					if r.json {
						out, err = api.Do(ctx, r.ops, c.op, req, out[:0])
					} else {
						err = c.call(ctx, r.ops)
					}
					if err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkNativeOverhead is issue 15's first target measured as one
// ratio: each operation's typed call on the native engine against the
// same call on api.Session, in alternating blocks of calls within one
// benchmark, so that the drift of a shared machine falls on both alike.
// The metric native/session is the ratio of their times (target ≤ 1.2).
func BenchmarkNativeOverhead(b *testing.B) {
	ctx := context.Background()
	s := testSession(b)
	n := newTestEngine(b, Native)
	for _, o := range []api.Operations{s, n} {
		if _, err := o.LoadTables(ctx, api.BuiltinTables("recommended")); err != nil {
			b.Fatal(err)
		}
	}
	const block = 256
	for _, c := range benchCalls(0) {
		b.Run(c.name, func(b *testing.B) {
			var ts, tn time.Duration
			for b.Loop() {
				t0 := time.Now()
				for range block {
					c.call(ctx, s)
				}
				t1 := time.Now()
				for range block {
					c.call(ctx, n)
				}
				ts += t1.Sub(t0)
				tn += time.Since(t1)
			}
			b.ReportMetric(float64(tn)/float64(ts), "native/session")
			b.ReportMetric(float64(ts.Nanoseconds())/float64(b.N*block), "session-ns/op")
			b.ReportMetric(float64(tn.Nanoseconds())/float64(b.N*block), "native-ns/op")
		})
	}
}

var benchOps = []struct{ name, op, req string }{
	{"pin", "pin", `{"policy":"cuc","pin":"135792","context":{"extensions":["36697"],"first_name":"Ann","last_name":"Lee"}}`},
	{"pin-refused", "pin", `{"policy":"cuc","pin":"123456","context":{"extensions":["36697"]}}`},
	{"password", "password", `{"policy":"cuc","password":"Tr0ub4dor&3x!","context":{"alias":"jdoe"}}`},
	{"hash.verify-sha1", "hash.verify", `{"record":"{SHA}fEqNCco3Yq9h5ZUglD3CZJT4lBs=","secret":"123456"}`},
	{"dial-json", "dial", `{"tables":"recommended","table":"Recommended Outdial","number":"14155551234"}`},
	{"unknown-op", "nop", `{}`},
}

// BenchmarkOp is each operation through the JSON adapter (api.Do),
// native against wasm.
func BenchmarkOp(b *testing.B) {
	ctx := context.Background()
	for _, e := range engines(b) {
		for _, o := range benchOps {
			req := []byte(o.req)
			b.Run(o.name+"/engine="+e.Kind().String(), func(b *testing.B) {
				b.ReportAllocs()
				var out []byte
				for b.Loop() {
					out, _ = api.Do(ctx, e, o.op, req, out[:0])
				}
			})
		}
	}
}

// BenchmarkOverhead is the cost of crossing into the module: an export that
// does nothing (buf_cap) through CallWithStack, against calling the
// native dispatcher for an unknown op, the cheapest api path.
func BenchmarkOverhead(b *testing.B) {
	ctx := context.Background()
	w := newTestWasm(b, sizes(1, 1))
	x, err := w.main.get(ctx)
	if err != nil {
		b.Fatal(err)
	}
	defer w.main.put(x, nil)
	b.Run("export-nop/engine=wasm", func(b *testing.B) {
		for b.Loop() {
			x.capFn.CallWithStack(ctx, x.stack)
		}
	})
	b.Run("call-unknown-op/engine=wasm", func(b *testing.B) {
		for b.Loop() {
			x.do(ctx, "nop", nil)
		}
	})
	s := api.NewSession()
	b.Run("call-unknown-op/engine=session", func(b *testing.B) {
		var out []byte
		for b.Loop() {
			out, _ = s.Do("nop", nil, out[:0])
		}
	})
}

// BenchmarkColdStart is what a new process pays before its first call:
// compiling the module with no cache (on GOMAXPROCS goroutines and on
// one, as the CLI does), with a warm on-disk cache, and with the
// interpreter (no compilation).
func BenchmarkColdStart(b *testing.B) {
	ctx := context.Background()
	mod, _ := artifacts()
	warm := b.TempDir()
	all := runtime.GOMAXPROCS(0)
	if c, err := compile(ctx, compileKey{pages: DefaultMemoryLimitPages, cacheDir: warm}, mod, all); err != nil {
		b.Fatal(err)
	} else {
		c.rt.Close(ctx)
	}
	for _, c := range []struct {
		name    string
		key     compileKey
		workers int
	}{
		{"compile-no-cache", compileKey{pages: DefaultMemoryLimitPages}, all},
		{"compile-no-cache-one-worker", compileKey{pages: DefaultMemoryLimitPages}, 1},
		{"compile-warm-cache", compileKey{pages: DefaultMemoryLimitPages, cacheDir: warm}, all},
		{"interpreter", compileKey{pages: DefaultMemoryLimitPages, interpreter: true}, all},
	} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				cm, err := compile(ctx, c.key, mod, c.workers)
				if err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				cm.rt.Close(ctx)
				b.StartTimer()
			}
		})
	}
	_ = os.RemoveAll(warm)
}

// BenchmarkInstantiate is one new pooled instance: instantiate, run
// _initialize, check the ABI version, read the buffer; then close it.
func BenchmarkInstantiate(b *testing.B) {
	ctx := context.Background()
	w := newTestWasm(b, sizes(1, 1))
	b.ReportAllocs()
	for b.Loop() {
		x, err := w.c.instantiate(ctx)
		if err != nil {
			b.Fatal(err)
		}
		x.close()
	}
}

// BenchmarkInstantiateWithData is BenchmarkInstantiate plus loading the
// committed data artifacts (what the pool does for each new instance): the
// cost of each artifact per instance (passwords, destinations, both).
func BenchmarkInstantiateWithData(b *testing.B) {
	ctx := context.Background()
	w := newTestWasm(b, sizes(1, 1))
	data, err := parseData(testOptions(Wasm).Data)
	if err != nil {
		b.Fatal(err)
	}
	for _, set := range []struct {
		name string
		data []*api.Data
	}{{"passwords", data[:1]}, {"destinations", data[1:]}, {"all", data}} {
		b.Run("data="+set.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				x, err := w.c.instantiate(ctx)
				if err != nil {
					b.Fatal(err)
				}
				for _, d := range set.data {
					if err := x.loadData(ctx, d); err != nil {
						b.Fatal(err)
					}
				}
				x.close()
			}
		})
	}
}

// BenchmarkDial is the hot path: one 11-digit number per call through each
// engine's DialNumber, the batch form per number, and the bare matcher
// (the core with no engine around it).
func BenchmarkDial(b *testing.B) {
	ctx := context.Background()
	number := []byte("14155551234")
	batch := make([][]byte, 1000)
	for i := range batch {
		batch[i] = []byte(strconv.Itoa(14155550000 + i))
	}
	out := make([]DialVerdict, len(batch))
	for _, e := range engines(b) {
		info, err := e.LoadTables(ctx, api.BuiltinTables("recommended"))
		if err != nil {
			b.Fatal(err)
		}
		ti, err := e.TableIndex(ctx, info.Handle, "Recommended Outdial", "", "")
		if err != nil {
			b.Fatal(err)
		}
		b.Run("single/engine="+e.Kind().String(), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				e.DialNumber(ctx, info.Handle, ti, number)
			}
		})
		b.Run("batch-per-number/engine="+e.Kind().String(), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				e.DialBatch(ctx, info.Handle, ti, batch, out)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(batch)), "ns/number")
		})
	}
	set, err := dialplan.Builtin("recommended")
	if err != nil {
		b.Fatal(err)
	}
	t, _ := set.Table("Recommended Outdial")
	b.Run("single/engine=core", func(b *testing.B) {
		for b.Loop() {
			t.Match(number)
		}
	})
}

// BenchmarkDialDestination is what classification adds to a dial
// decision through each engine (issue 18's target: at most 1.5×): the same
// restriction table loaded twice, without a region and with region US
// (whose answers carry the destination), and the same 1 024 numbers —
// behind 9, 91, 9011 or nothing, 4 to 12 digits — dialed through the typed
// Dial, one number per call.
func BenchmarkDialDestination(b *testing.B) {
	ctx := context.Background()
	const rows = `"tables":[{"name":"Outdial","rows":[` +
		`{"pattern":"9011*","blocked":true},{"pattern":"91900*","blocked":true},{"pattern":"91976*","blocked":true},` +
		`{"pattern":"9976*","blocked":true},{"pattern":"9900*","blocked":true},{"pattern":"911","blocked":false},` +
		`{"pattern":"91??????????","blocked":false},{"pattern":"9???????","blocked":false},{"pattern":"????","blocked":false},` +
		`{"pattern":"*","blocked":true}]}]`
	docs := map[string]string{"plain": `{` + rows + `}`, "region": `{"region":{"country":"US"},` + rows + `}`}
	r := rand.New(rand.NewPCG(7, 7))
	nums := make([]string, 1024)
	for i := range nums {
		var s strings.Builder
		s.WriteString([]string{"9", "91", "9011", ""}[r.IntN(4)])
		for k := 4 + r.IntN(9); k > 0; k-- {
			s.WriteByte(byte('0' + r.IntN(10)))
		}
		nums[i] = s.String()
	}
	for _, e := range engines(b) {
		for _, name := range []string{"plain", "region"} {
			info, err := e.LoadTables(ctx, api.TablesJSON([]byte(docs[name])))
			if err != nil {
				b.Fatal(err)
			}
			req := &api.DialRequest{Tables: api.TablesHandle(info.Handle)}
			b.Run("tables="+name+"/engine="+e.Kind().String(), func(b *testing.B) {
				for i := 0; b.Loop(); i++ {
					req.Number = nums[i&1023]
					res, err := e.Dial(ctx, req)
					if err != nil || (name == "region") != (res.Destination.Tier != "") {
						b.Fatalf("%s: %+v %v", req.Number, res, err)
					}
				}
			})
		}
	}
}

// BenchmarkCloseOnContextDone is what wazero's WithCloseOnContextDone
// (Options.CloseOnContextDone) costs per call, against an engine without it.
func BenchmarkCloseOnContextDone(b *testing.B) {
	ctx := context.Background()
	pin := &api.PINRequest{Policy: api.Profile("cuc"), PIN: "135792", Context: api.PINContext{Extensions: []string{"36697"}, FirstName: "Ann", LastName: "Lee"}}
	for _, guarded := range []bool{false, true} {
		w := newTestWasm(b, sizes(1, 1), func(o *Options) { o.CloseOnContextDone = guarded })
		name := "off"
		if guarded {
			name = "on"
		}
		info, err := w.LoadTables(ctx, api.BuiltinTables("recommended"))
		if err != nil {
			b.Fatal(err)
		}
		b.Run("dial/"+name, func(b *testing.B) {
			for b.Loop() {
				w.DialNumber(ctx, info.Handle, 1, []byte("14155551234"))
			}
		})
		b.Run("pin/"+name, func(b *testing.B) {
			for b.Loop() {
				w.CheckPIN(ctx, pin)
			}
		})
		w.Close()
	}
}

// regexTables is a Kamailio-style table: a number that is allowed crosses
// every regex row into the module's host and back (ABI v2).
const regexTables = `{"trunk_access_codes":["9"],"tables":[{"name":"k","dialect":"regex","max_digits":20,"rows":[
{"pattern":"^(00|011)","blocked":true},{"pattern":"^1?900[0-9]{7}$","blocked":true},
{"pattern":"^1?976","blocked":true},{"pattern":"^[2-9][0-9]{6}$"},{"pattern":"^1?[2-9][0-9]{9}$"},{"pattern":".*","blocked":true}]}]}`

// BenchmarkRegex is a dial on regex rows through the scalar path: natively
// regexp2 runs in process; in the wasm engine each row is a regex_match
// import call into the host.
func BenchmarkRegex(b *testing.B) {
	ctx := context.Background()
	for _, e := range engines(b) {
		info, err := e.LoadTables(ctx, api.TablesJSON([]byte(regexTables)))
		if err != nil {
			b.Fatal(err)
		}
		for _, c := range []struct{ name, number string }{{"first-row", "011442079460000"}, {"fifth-row", "14155551234"}} {
			number := []byte(c.number)
			if r, err := e.DialNumber(ctx, info.Handle, 0, number); err != nil || r.Row < 0 {
				b.Fatalf("%s: %+v %v", c.name, r, err)
			}
			b.Run(c.name+"/engine="+e.Kind().String(), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					e.DialNumber(ctx, info.Handle, 0, number)
				}
			})
		}
	}
}

// BenchmarkDeadline is what the engine's deadline costs (issue 14 item 1):
// a cheap call and a PBKDF2 verification (10 000 iterations, polling the
// clock every 1 024) under context.Background and under a context with a
// deadline, against wazero's WithCloseOnContextDone. docs/engine.md has
// the figures:
//
//	go test -run '^$' -bench Deadline -benchtime=20x -count=3 ./internal/engine
func BenchmarkDeadline(b *testing.B) {
	pin := &api.PINRequest{Policy: api.Profile("cuc"), PIN: "135792", Context: api.PINContext{Extensions: []string{"36697"}, FirstName: "Ann", LastName: "Lee"}}
	pbkdf2 := &api.HashVerifyRequest{Record: "{PBKDF2-SHA256}10000$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", Secret: "x"}
	for _, mode := range []string{"background", "deadline", "close-on-done"} {
		w := newTestWasm(b, sizes(1, 1), func(o *Options) { o.CloseOnContextDone = mode == "close-on-done" })
		ctx := context.Background()
		if mode != "background" {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, time.Hour)
			defer cancel()
		}
		b.Run("pin/"+mode, func(b *testing.B) {
			for b.Loop() {
				w.CheckPIN(ctx, pin)
			}
		})
		b.Run("pbkdf2-10k/"+mode, func(b *testing.B) {
			for b.Loop() {
				if _, err := w.VerifyHash(ctx, pbkdf2); err != nil {
					b.Fatal(err)
				}
			}
		})
		w.Close()
	}
}
