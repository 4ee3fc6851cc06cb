package engine

import (
	"context"
	"errors"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/tollgate/tollgate/api"
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

// TestDialParity checks the scalar path on both engines: TableIndex,
// DialNumber and DialBatch agree with each other, across engines, and with
// the typed "dial" operation.
func TestDialParity(t *testing.T) {
	ctx := context.Background()
	es := engines(t, sizes(2, 1))
	nums := dialNumbers()
	for _, set := range []string{"default", "recommended"} {
		var hs [2]api.TablesInfo
		for i, e := range es {
			info, err := e.LoadTables(ctx, api.BuiltinTables(set))
			if err != nil {
				t.Fatal(err)
			}
			hs[i] = info
		}
		if hs[0].Handle != hs[1].Handle || strings.Join(hs[0].Tables, ",") != strings.Join(hs[1].Tables, ",") || len(hs[0].Tables) == 0 {
			t.Fatalf("tables.load %s: native %+v, wasm %+v", set, hs[0], hs[1])
		}
		h := hs[0].Handle
		for want, name := range hs[0].Tables {
			var batches [2][]DialVerdict
			for i, e := range es {
				ti, err := e.TableIndex(ctx, h, name, "", "")
				if err != nil || ti != want {
					t.Fatalf("%s: TableIndex(%s) = %d, %v; want %d", e.Kind(), name, ti, err, want)
				}
				batches[i] = make([]DialVerdict, len(nums))
				if err := e.DialBatch(ctx, h, ti, nums, batches[i]); err != nil {
					t.Fatalf("%s: DialBatch(%s): %v", e.Kind(), name, err)
				}
			}
			for n, num := range nums {
				var single [2]DialVerdict
				for i, e := range es {
					v, err := e.DialNumber(ctx, h, want, num)
					if err != nil {
						t.Fatalf("%s: DialNumber(%s, #%d): %v", e.Kind(), name, n, err)
					}
					single[i] = v
					if len(num) > 0 && num[len(num)-1] == '\r' {
						batches[i][n] = v // the batch form drops a trailing \r (CRLF files)
					}
				}
				if single[0] != single[1] || batches[0][n] != single[0] || batches[1][n] != single[1] {
					t.Fatalf("%s %q: native %+v, native batch %+v, wasm %+v, wasm batch %+v", name, num, single[0], batches[0][n], single[1], batches[1][n])
				}
				d, err := es[0].Dial(ctx, &api.DialRequest{Tables: api.TablesHandle(h), Table: name, Number: string(num)})
				if err != nil {
					t.Fatalf("dial op: %v", err)
				}
				v := single[0]
				if d.Allowed != v.Allowed || string(d.Reason) != v.Reason.String() || d.Row != v.Row || (d.Dropped > 0) != v.Normalized {
					t.Fatalf("%s %q: dial op %+v, scalar path %+v", name, num, d, v)
				}
			}
		}
		cos := strings.ToUpper(set[:1]) + set[1:]
		for _, feature := range []string{"outdial", "transfer", "fax"} {
			var idx [2]int
			for i, e := range es {
				ti, err := e.TableIndex(ctx, h, "", cos, feature)
				if err != nil {
					t.Fatalf("%s: TableIndex(%s, %s): %v", e.Kind(), cos, feature, err)
				}
				idx[i] = ti
			}
			d, err := es[0].Dial(ctx, &api.DialRequest{Tables: api.TablesHandle(h), COS: cos, Feature: feature, Number: "1"})
			if err != nil || idx[0] != idx[1] || hs[0].Tables[idx[0]] != d.Table {
				t.Errorf("TableIndex(%s, %s): native %d, wasm %d; the dial op picks %q (%v)", cos, feature, idx[0], idx[1], d.Table, err)
			}
		}
		// No table, class of service or feature: the set's default table,
		// the one a dial request naming none uses.
		d, _ := es[0].Dial(ctx, &api.DialRequest{Tables: api.TablesHandle(h), Number: "1"})
		for _, e := range es {
			if ti, err := e.TableIndex(ctx, h, "", "", ""); err != nil || hs[0].Tables[ti] != d.Table {
				t.Errorf("%s: TableIndex(%s, default) = %d, %v; the dial op picks %q", e.Kind(), set, ti, err, d.Table)
			}
		}
	}
	if s := stats(es[1]); s.Discarded != 0 {
		t.Errorf("no instance should be discarded: %+v", s)
	}
}

func TestDialErrors(t *testing.T) {
	ctx := context.Background()
	for _, e := range engines(t, sizes(1, 1)) {
		info, err := e.LoadTables(ctx, api.BuiltinTables("default"))
		if err != nil {
			t.Fatal(err)
		}
		h := info.Handle
		if _, err := e.DialNumber(ctx, h+100, 0, []byte("1")); !errors.Is(err, ErrNoTable) {
			t.Errorf("%s: DialNumber(unknown handle) = %v, want ErrNoTable", e.Kind(), err)
		}
		for _, ti := range []int{99, -1, len(info.Tables)} {
			if _, err := e.DialNumber(ctx, h, ti, []byte("1")); !errors.Is(err, ErrNoTable) {
				t.Errorf("%s: DialNumber(table %d) = %v, want ErrNoTable", e.Kind(), ti, err)
			}
			if err := e.DialBatch(ctx, h, ti, [][]byte{[]byte("1")}, make([]DialVerdict, 1)); !errors.Is(err, ErrNoTable) {
				t.Errorf("%s: DialBatch(table %d) = %v, want ErrNoTable", e.Kind(), ti, err)
			}
		}
		for _, c := range [][3]string{{"no such table", "", ""}, {"Default Outdial", "Default", "outdial"}, {"", "Default", ""}, {"", "", "outdial"}, {"", "Nope", "outdial"}, {"", "Default", "nope"}} {
			if _, err := e.TableIndex(ctx, h, c[0], c[1], c[2]); !errors.Is(err, ErrNoTable) {
				t.Errorf("%s: TableIndex(%q) = %v, want ErrNoTable", e.Kind(), c, err)
			}
		}
		out := make([]DialVerdict, 2)
		if err := e.DialBatch(ctx, h, 0, [][]byte{[]byte("1"), []byte("2\n3")}, out); !errors.Is(err, ErrNewline) || !strings.Contains(err.Error(), "number 1") {
			t.Errorf("%s: DialBatch(number with a newline) = %v, want ErrNewline naming number 1", e.Kind(), err)
		}
		// A batch larger than one buffer-full is cut into several calls;
		// out shorter than numbers bounds it.
		big := make([][]byte, 100_000)
		for i := range big {
			big[i] = []byte(strconv.Itoa(9_000_000_000 + i))
		}
		res := make([]DialVerdict, len(big)-1)
		if err := e.DialBatch(ctx, h, 0, big, res); err != nil {
			t.Fatalf("%s: DialBatch(100 000): %v", e.Kind(), err)
		}
		for i := range res {
			if one, _ := e.DialNumber(ctx, h, 0, big[i]); one != res[i] {
				t.Fatalf("%s: batch #%d %+v, single %+v", e.Kind(), i, res[i], one)
			}
		}
		if s := stats(e); s.Discarded != 0 {
			t.Errorf("%s: no instance should be discarded: %+v", e.Kind(), s)
		}
	}
}
