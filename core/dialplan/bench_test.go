package dialplan

import (
	"fmt"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"

	"github.com/dlclark/regexp2"
)

// benchDoc builds a cuc table of n rows shaped like real restriction
// tables: access code 9, a digit prefix (area or country code, exchange),
// sometimes ? placeholders for a fixed length, a trailing * on most rows,
// blocked or allowed at random, and the final * row.
func benchDoc(n int) *Document {
	r := rand.New(rand.NewPCG(uint64(n), 99))
	td := TableDoc{Name: "Bench", MaxDigits: 40}
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
		td.Rows = append(td.Rows, RowDoc{Pattern: p.String(), Blocked: &blocked})
	}
	td.Rows = append(td.Rows, RowDoc{Pattern: "*", Blocked: b(false)})
	return &Document{TrunkAccessCodes: nil, Tables: []TableDoc{td}}
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

var benchSizes = []int{10, 1000, 10000, 100000}

var sinkResult Result

func BenchmarkMatch(b *testing.B) {
	nums := benchNumbers()
	for _, n := range benchSizes {
		s, err := Compile("", benchDoc(n))
		if err != nil {
			b.Fatal(err)
		}
		t := s.Tables()[0]
		b.Run(fmt.Sprintf("rows=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				sinkResult = t.Match(nums[i&1023])
			}
		})
	}
}

func BenchmarkCompile(b *testing.B) {
	for _, n := range benchSizes {
		d := benchDoc(n)
		b.Run(fmt.Sprintf("rows=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Compile("", d); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// linearGo and linearRegexp2 are the naive matchers the compiled one is
// measured against: each row's regexp, tried in order.
func linearGo(n int) func([]byte) int {
	d := benchDoc(n)
	var res []*regexp.Regexp
	for _, r := range d.Tables[0].Rows {
		res = append(res, regexp.MustCompile("^(?:"+refRegexp(DialectCUC, r.Pattern)+")$"))
	}
	return func(num []byte) int {
		for i, re := range res {
			if re.Match(num) {
				return i
			}
		}
		return -1
	}
}

func linearRegexp2(n int) func([]byte) int {
	d := benchDoc(n)
	var res []*regexp2.Regexp
	for _, r := range d.Tables[0].Rows {
		res = append(res, regexp2.MustCompile("^(?:"+refRegexp(DialectCUC, r.Pattern)+")$", regexp2.None))
	}
	return func(num []byte) int {
		s := string(num)
		for i, re := range res {
			if ok, _ := re.MatchString(s); ok {
				return i
			}
		}
		return -1
	}
}

var sinkRow int

func BenchmarkLinearGoRegexp(b *testing.B) {
	nums := benchNumbers()
	for _, n := range benchSizes[:3] {
		m := linearGo(n)
		b.Run(fmt.Sprintf("rows=%d", n), func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				sinkRow = m(nums[i&1023])
			}
		})
	}
}

func BenchmarkLinearRegexp2(b *testing.B) {
	nums := benchNumbers()
	for _, n := range benchSizes[:3] {
		m := linearRegexp2(n)
		b.Run(fmt.Sprintf("rows=%d", n), func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				sinkRow = m(nums[i&1023])
			}
		})
	}
}

// The benchmarked matchers agree, so the comparison is between equals.
func TestBenchMatchersAgree(t *testing.T) {
	nums := benchNumbers()
	s, err := Compile("", benchDoc(1000))
	if err != nil {
		t.Fatal(err)
	}
	tab := s.Tables()[0]
	goScan, re2Scan := linearGo(1000), linearRegexp2(1000)
	rows := map[int]bool{}
	for _, n := range nums {
		got := int(tab.Match(n).Row)
		if g, r := goScan(n), re2Scan(n); got != g || got != r {
			t.Fatalf("%s: compiled row %d, Go regexp scan %d, regexp2 scan %d", n, got, g, r)
		}
		rows[got] = true
	}
	// Numbers that all land on one row would make three matchers agree
	// on one answer.
	if len(rows) < 50 {
		t.Errorf("the benchmark numbers reach only %d distinct rows", len(rows))
	}
}
