package audit

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	tollgate "github.com/tollgate/tollgate"
	"github.com/tollgate/tollgate/export"
	"github.com/tollgate/tollgate/internal/auditcore"
)

// withSpillAt makes the first pass spill its shared-PIN counts to disk
// every n distinct values for the rest of the test.
func withSpillAt(t *testing.T, n int) {
	old := sharedSpillAt
	sharedSpillAt = n
	t.Cleanup(func() { sharedSpillAt = old })
}

// The counter, spilling every few values, yields what a map counts: the
// distinct values of both fields, and each value held twice or more with
// its field and count, saturating as one table would.
func TestSharedCounterSpills(t *testing.T) {
	for _, spillAt := range []int{0, 3, 50, 1000, 1 << 20} {
		c := newSharedCounter(func(f string, a ...any) { t.Errorf("note: "+f, a...) })
		c.spillAt = spillAt
		type key struct {
			f export.Field
			d uint64
		}
		want := map[key]int{}
		r := rand.New(rand.NewPCG(5, 6))
		add := func(f export.Field, d uint64) {
			d = (d + 1) << 8 // the table keeps 56 bits and never 0
			c.add(f, d)
			k := key{f, d}
			want[k] = min(want[k]+1, auditcore.Saturated)
		}
		for i := range 30000 {
			f := export.PIN
			if i%3 == 0 {
				f = export.PINHash
			}
			add(f, r.Uint64N(uint64(2000+i)))
			if i%50 == 0 {
				add(export.PIN, 77) // saturates
			}
		}
		got := map[key]int{}
		distinct, err := c.finish(func(f export.Field, d uint64, n int) error {
			k := key{f, d}
			if _, dup := got[k]; dup {
				t.Errorf("spill every %d: %v %x yielded twice", spillAt, f, d)
			}
			got[k] = n
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if distinct != len(want) {
			t.Errorf("spill every %d: %d distinct, want %d", spillAt, distinct, len(want))
		}
		shared := 0
		for k, n := range want {
			if n < 2 {
				continue
			}
			shared++
			if got[k] != n {
				t.Errorf("spill every %d: %v %x counted %d, want %d", spillAt, k.f, k.d, got[k], n)
			}
		}
		if len(got) != shared {
			t.Errorf("spill every %d: %d values yielded, want %d", spillAt, len(got), shared)
		}
		if spillAt > 0 && spillAt <= 1000 && len(c.runs) < 10 {
			t.Errorf("spill every %d: %d runs written", spillAt, len(c.runs))
		}
	}
}

// An audit whose first pass spills gives the report and summary of one
// that holds its counts in memory, on both engines: plaintext PINs and
// stored records, values held by one user, by a few and by more than a
// count holds.
func TestAuditSpilledCountsSame(t *testing.T) {
	var b strings.Builder
	b.WriteString("Alias,Extension,PIN,PIN Hash\n")
	r := rand.New(rand.NewPCG(7, 8))
	for i := range 3000 {
		pin := fmt.Sprintf("%06d", 100000+r.IntN(2500)*37%900000)
		if i%10 == 0 {
			pin = "739146" // 300 holders: past the count's 255
		}
		hash := ""
		if i%4 == 0 {
			hash = fmt.Sprintf("%040x", r.IntN(400))
		}
		fmt.Fprintf(&b, "u%d,%d,%s,%s\n", i, 20000+i, pin, hash)
	}
	data := []byte(b.String())
	for _, e := range []*tollgate.Checker{nativeEngine(t), newChecker(t, tollgate.Wasm)} {
		memRep, memSum := runAudit(t, Config{Engine: e, Workers: 1}, bytesInput("f.csv", data, true), "json")
		withSpillAt(t, 100)
		spRep, spSum := runAudit(t, Config{Engine: e, Workers: 1}, bytesInput("f.csv", data, true), "json")
		sharedSpillAt = 1 << 19
		name := fmt.Sprintf("engine %s", memSum.Engine)
		sameReport(t, name, memRep, spRep)
		sameSummary(t, name, memSum, spSum)
		if memSum.SharedPINs == 0 || memSum.SharedPINRecords == 0 || memSum.DistinctPINs < 1000 {
			t.Errorf("%s: the file shares too little to test: %+v", name, memSum)
		}
	}
}

// The temporary file is gone while the audit still runs, and no file
// of the counter's is left in TMPDIR after it.
func TestSharedCounterLeavesNoFile(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("TMPDIR", dir)
	c := newSharedCounter(func(f string, a ...any) { t.Errorf("note: "+f, a...) })
	c.spillAt = 10
	for i := range 100 {
		c.add(export.PIN, uint64(i+1)<<8)
	}
	if c.f == nil || len(c.runs) == 0 {
		t.Fatal("the counter did not spill")
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("while counting, TMPDIR holds %d files", len(ents))
	}
	n, err := c.finish(func(export.Field, uint64, int) error { return nil })
	if err != nil || n != 100 {
		t.Fatalf("finish: %d distinct, %v", n, err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("after the count, TMPDIR holds %d files", len(ents))
	}
}

// Without a usable temporary directory the count stays in memory, with
// a note, and is still exact.
func TestSharedCounterNoTempDir(t *testing.T) {
	t.Setenv("TMPDIR", filepath.Join(t.TempDir(), "missing"))
	var notes []string
	c := newSharedCounter(func(f string, a ...any) { notes = append(notes, fmt.Sprintf(f, a...)) })
	c.spillAt = 10
	for i := range 100 {
		c.add(export.PIN, uint64(i%40+1)<<8)
	}
	shared := 0
	n, err := c.finish(func(_ export.Field, _ uint64, k int) error {
		if k == 2 || k == 3 {
			shared++
		}
		return nil
	})
	if err != nil || n != 40 || shared != 40 {
		t.Fatalf("finish: %d distinct, %d shared, %v; want 40, 40", n, shared, err)
	}
	if len(notes) != 1 || !strings.Contains(notes[0], "in memory") {
		t.Errorf("notes %q", notes)
	}
}

// A failing write (a full disk) fails the count with what failed, not
// with a wrong count.
func TestSharedCounterWriteError(t *testing.T) {
	c := newSharedCounter(func(string, ...any) {})
	c.spillAt = 10
	for i := range 10 {
		c.add(export.PIN, uint64(i+1)<<8)
	}
	c.f.Close() // the next run's writes fail
	for i := range 10 {
		c.add(export.PIN, uint64(i+100)<<8)
	}
	_, err := c.finish(func(export.Field, uint64, int) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "writing the temporary file") {
		t.Fatalf("finish: %v", err)
	}
}
