package destination_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/tollgate/tollgate/core/destination"
	"github.com/tollgate/tollgate/core/dialplan"
)

// benchTable and benchNumbers are core/dialplan's BenchmarkMatch inputs
// (bench_test.go there), rebuilt here so that classification and matching
// are measured on the same numbers in one run: a cuc table of n rows shaped
// like real restriction tables, and 1024 numbers behind 9, 91, 9011, 900
// or nothing.
func benchTable(b *testing.B, n int) *dialplan.Table {
	r := rand.New(rand.NewPCG(uint64(n), 99))
	td := dialplan.TableDoc{Name: "Bench", MaxDigits: 40}
	for i := 0; i < n-1; i++ {
		var p strings.Builder
		p.WriteString("9")
		for k := 2 + r.IntN(6); k > 0; k-- {
			p.WriteByte(byte('0' + r.IntN(10)))
		}
		if r.IntN(3) == 0 {
			p.WriteString(strings.Repeat("?", 1+r.IntN(7)))
		}
		if r.IntN(4) > 0 {
			p.WriteString("*")
		}
		blocked := r.IntN(2) == 0
		td.Rows = append(td.Rows, dialplan.RowDoc{Pattern: p.String(), Blocked: &blocked})
	}
	no := false
	td.Rows = append(td.Rows, dialplan.RowDoc{Pattern: "*", Blocked: &no})
	s, err := dialplan.Compile("", &dialplan.Document{Tables: []dialplan.TableDoc{td}})
	if err != nil {
		b.Fatal(err)
	}
	return s.Tables()[0]
}

func benchNumbers() [][]byte {
	r := rand.New(rand.NewPCG(7, 7))
	out := make([][]byte, 1024)
	for i := range out {
		var s strings.Builder
		s.WriteString([]string{"9", "91", "9011", "900", ""}[r.IntN(5)])
		for k := 4 + r.IntN(9); k > 0; k-- {
			s.WriteByte(byte('0' + r.IntN(10)))
		}
		out[i] = []byte(s.String())
	}
	return out
}

var (
	sinkClass  int32
	sinkResult dialplan.Result
)

// BenchmarkClassify measures a classification against a dial match of the
// same numbers (the target: classification costs at most 1.5 matches):
//
//	go test -run '^$' -bench Classify -count 6 ./core/destination | benchstat -
func BenchmarkClassify(b *testing.B) {
	nums := benchNumbers()
	d := dialing(b, destination.Options{Country: "US", Access: []string{"9"}})
	b.Run("classify", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			sinkClass, _ = d.Classify(nums[i&1023])
		}
	})
	for _, n := range []int{10, 1000} {
		t := benchTable(b, n)
		b.Run(fmt.Sprintf("match/rows=%d", n), func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				sinkResult = t.Match(nums[i&1023])
			}
		})
		b.Run(fmt.Sprintf("match+classify/rows=%d", n), func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				sinkResult = t.Match(nums[i&1023])
				sinkClass, _ = d.Classify(nums[i&1023])
			}
		})
	}
}
