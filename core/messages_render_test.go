package core

import (
	"math"
	"strconv"
	"strings"
	"sync"
	"testing"
)

func TestRender(t *testing.T) {
	r := Reason{Code: "too_short", Limit: 6, Detail: "{limit}"}
	for _, c := range []struct{ tmpl, want string }{
		{"", "too_short"},
		{"plain", "plain"},
		{"At least {limit} digits.", "At least 6 digits."},
		{"{limit}{limit} and {detail}", "66 and {limit}"}, // a detail is not expanded again
		{"{unknown} {limit", "{unknown} {limit"},
		{"trailing {", "trailing {"},
	} {
		if got := Render(c.tmpl, r); got != c.want {
			t.Errorf("Render(%q) = %q, want %q", c.tmpl, got, c.want)
		}
	}
	// The same result as the strings.Replacer it replaced, on the catalogue.
	for code, tmpl := range catalogue {
		r := Reason{Code: code, Limit: 12, Detail: "4321"}
		want := strings.NewReplacer("{limit}", strconv.Itoa(12), "{detail}", "4321").Replace(tmpl)
		if tmpl != "" && Render(tmpl, r) != want {
			t.Errorf("%s: Render = %q, want %q", code, Render(tmpl, r), want)
		}
	}
}

// A rendered message costs one allocation, the message: the audit
// renders one per reason of millions of rows. (It was three: the bytes,
// the limit's digits and the string.)
func TestRenderAllocatesOnce(t *testing.T) {
	r := Reason{Code: "too_short", Limit: 12, Detail: "4321"}
	for _, tmpl := range []string{"Too short: use at least {limit} characters.", "{detail} and {limit}, {x}"} {
		if n := testing.AllocsPerRun(100, func() { Render(tmpl, r) }); n != 1 {
			t.Errorf("Render(%q): %v allocations, want 1", tmpl, n)
		}
	}
	if n := testing.AllocsPerRun(100, func() { Render("plain", r) }); n != 0 {
		t.Errorf("a template without placeholders: %v allocations, want 0", n)
	}
	for _, n := range []int{0, 7, -3, 10, 1 << 40, math.MaxInt, math.MinInt} {
		if got := itoa(n); got != strconv.Itoa(n) {
			t.Errorf("itoa(%d) = %q", n, got)
		}
	}
}

// TestMessageCache: Message answers what Render does for every code of the
// catalogue, with every detail and limit the checks use, a second time
// from the cache and without allocating; slots shared by other reasons
// are told apart; and concurrent callers (run it with -race) agree.
func TestMessageCache(t *testing.T) {
	details := []string{"", detailPrimary, detailAlternate, DetailList, DetailSite, DetailContext, DetailPattern, DetailKeyboard, DetailNoList, "upper", "symbol"}
	var all []Reason
	for code := range catalogue {
		for _, d := range details {
			for _, limit := range []int{0, 1, 4, 6, 12, 100, -1} {
				all = append(all, Reason{Code: code, Limit: limit, Detail: d})
			}
		}
	}
	if len(all) <= len(messages) {
		t.Fatalf("%d reasons do not fill the %d slots: collisions are not tested", len(all), len(messages))
	}
	for round := range 2 {
		for _, r := range all {
			if got, want := Message(r), Render(catalogue[r.Code], r); got != want {
				t.Fatalf("round %d: Message(%+v) = %q, want %q", round, r, got, want)
			}
		}
	}
	r := Reason{Code: CodeTooShort, Limit: 6}
	Message(r)
	if n := testing.AllocsPerRun(100, func() { Message(r) }); n != 0 {
		t.Errorf("a cached message: %v allocations, want 0", n)
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 5000 {
				r := all[(i*7+g*13)%len(all)]
				if got, want := Message(r), Render(catalogue[r.Code], r); got != want {
					t.Errorf("concurrent: Message(%+v) = %q, want %q", r, got, want)
					return
				}
			}
		}()
	}
	wg.Wait()
}
