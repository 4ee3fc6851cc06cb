package core

import (
	"strconv"
	"strings"
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
