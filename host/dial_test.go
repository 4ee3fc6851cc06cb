package host

import (
	"context"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

// dialNumbers is a spread of numbers: allowed, blocked, behind a trunk
// access code, with separators, invalid, too short and too long.
func dialNumbers() [][]byte {
	nums := []string{"", "1", "5551234", "915551234567", "9011441234567890", "90012345",
		"(915) 555-1234", "91.555.123.4567", "9 1 5 5 5 1 2 3 4 5 6 7", "+14155551234", "99900123",
		"999011441234567", "12a4", "é", "#", "*", "*99#", "91\r", "9011" + string(make([]byte, 50)),
		"123456789012345678901234567890123456789012345"}
	rng := rand.New(rand.NewPCG(5, 5))
	const alphabet = "0123456789*#+ -().x\r"
	for range 2000 {
		b := make([]byte, rng.IntN(46))
		for i := range b {
			b[i] = alphabet[rng.IntN(len(alphabet))]
		}
		nums = append(nums, string(b))
	}
	out := make([][]byte, len(nums))
	for i, n := range nums {
		out[i] = []byte(n)
	}
	return out
}

// TestDialParity checks the scalar hot path on both engines: single and
// batch calls agree with each other, with the native engine, and with the
// "dial" operation's JSON.
func TestDialParity(t *testing.T) {
	ctx := context.Background()
	w := newTestWasm(t, Options{Instances: 2})
	n := NewNative(Options{})
	nums := dialNumbers()
	for _, set := range []string{`"default"`, `"recommended"`} {
		wh, err := w.LoadTables(ctx, []byte(set))
		if err != nil {
			t.Fatal(err)
		}
		nh, err := n.LoadTables(ctx, []byte(set))
		if err != nil {
			t.Fatal(err)
		}
		resp, _ := n.Do(ctx, "tables.load", []byte(set))
		var names struct{ Tables []string }
		if err := json.Unmarshal(resp, &names); err != nil || len(names.Tables) == 0 {
			t.Fatalf("tables.load %s = %s", set, resp)
		}
		for _, name := range names.Tables {
			wi, err := w.TableIndex(ctx, wh, name)
			if err != nil {
				t.Fatalf("wasm TableIndex(%s) = %v", name, err)
			}
			ni, err := n.TableIndex(ctx, nh, name)
			if err != nil || ni != wi {
				t.Fatalf("native TableIndex(%s) = %d, %v; wasm said %d", name, ni, err, wi)
			}
			wb := make([]DialResult, len(nums))
			if err := w.DialBatch(ctx, wh, wi, nums, wb); err != nil {
				t.Fatalf("wasm DialBatch(%s): %v", name, err)
			}
			nb := make([]DialResult, len(nums))
			if err := n.DialBatch(ctx, nh, ni, nums, nb); err != nil {
				t.Fatalf("native DialBatch(%s): %v", name, err)
			}
			for i, num := range nums {
				ws, err := w.Dial(ctx, wh, wi, num)
				if err != nil {
					t.Fatalf("wasm Dial(%s, #%d): %v", name, i, err)
				}
				ns, err := n.Dial(ctx, nh, ni, num)
				if err != nil {
					t.Fatalf("native Dial(%s, #%d): %v", name, i, err)
				}
				if len(num) > 0 && num[len(num)-1] == '\r' {
					// The batch form drops a trailing \r (CRLF files).
					wb[i], nb[i] = ws, ns
				}
				if ws != ns || wb[i] != ws || nb[i] != ns {
					t.Fatalf("%s %q: wasm %+v, wasm batch %+v, native %+v, native batch %+v", name, num, ws, wb[i], ns, nb[i])
				}
				req, _ := json.Marshal(map[string]any{"tables": nh, "table": name, "number": string(num)})
				resp, err := n.Do(ctx, "dial", req)
				if err != nil {
					t.Fatalf("dial op: %v", err)
				}
				var d struct {
					Allowed bool
					Reason  string
					Row     int
				}
				if err := json.Unmarshal(resp, &d); err != nil {
					t.Fatal(err)
				}
				if d.Allowed != ns.Allowed || d.Reason != ns.Reason.String() || d.Row != ns.Row {
					t.Fatalf("%s %q: dial op %s, scalar path %+v", name, num, resp, ns)
				}
			}
		}
		cos := strings.ToUpper(set[1:2]) + set[2:len(set)-1]
		wi, err := w.FeatureTable(ctx, wh, cos, "outdial")
		if err != nil {
			t.Errorf("wasm FeatureTable(%s, outdial): %v", cos, err)
		}
		if ni, err := n.FeatureTable(ctx, nh, cos, "outdial"); err != nil || ni != wi {
			t.Errorf("FeatureTable(%s, outdial): wasm %d, native %d, %v", cos, wi, ni, err)
		}
	}
}

func TestDialErrors(t *testing.T) {
	ctx := context.Background()
	w := newTestWasm(t, Options{Instances: 1})
	for _, e := range []Engine{w, NewNative(Options{})} {
		h, err := e.LoadTables(ctx, []byte(`"default"`))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.Dial(ctx, h+100, 0, []byte("1")); !errors.Is(err, ErrNoTable) {
			t.Errorf("%s: Dial(unknown handle) = %v, want ErrNoTable", e.Name(), err)
		}
		if _, err := e.Dial(ctx, h, 99, []byte("1")); !errors.Is(err, ErrNoTable) {
			t.Errorf("%s: Dial(unknown table) = %v, want ErrNoTable", e.Name(), err)
		}
		if _, err := e.TableIndex(ctx, h, "no such table"); !errors.Is(err, ErrNoTable) {
			t.Errorf("%s: TableIndex(unknown) = %v, want ErrNoTable", e.Name(), err)
		}
		out := make([]DialResult, 2)
		if err := e.DialBatch(ctx, h, 0, [][]byte{[]byte("1"), []byte("2\n3")}, out); !errors.Is(err, ErrNewline) {
			t.Errorf("%s: DialBatch(number with a newline) = %v, want ErrNewline", e.Name(), err)
		}
		// A batch larger than one buffer-full is cut into several calls.
		big := make([][]byte, 100_000)
		for i := range big {
			big[i] = []byte(strconv.Itoa(9_000_000_000 + i))
		}
		res := make([]DialResult, len(big))
		if err := e.DialBatch(ctx, h, 0, big, res); err != nil {
			t.Fatalf("%s: DialBatch(100 000): %v", e.Name(), err)
		}
		for i := range big {
			if one, _ := e.Dial(ctx, h, 0, big[i]); one != res[i] {
				t.Fatalf("%s: batch #%d %+v, single %+v", e.Name(), i, res[i], one)
			}
		}
	}
	if w.Stats().Discarded != 0 {
		t.Errorf("no instance should be discarded: %+v", w.Stats())
	}
}
