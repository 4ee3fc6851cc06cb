package core

import (
	"strings"
	"testing"
)

// Every PIN and password code has an English template, and the templates
// use only the placeholders the rules fill.
func TestCredentialMessages(t *testing.T) {
	for _, c := range append(append([]Code{}, pinCodes...), passwordCodes...) {
		tpl, ok := Catalogue()[c]
		if !ok || tpl == "" {
			t.Errorf("%s: no message", c)
			continue
		}
		rest := strings.NewReplacer("{limit}", "", "{detail}", "").Replace(tpl)
		if strings.ContainsAny(rest, "{}") {
			t.Errorf("%s: unknown placeholder in %q", c, tpl)
		}
	}
	r := Reason{Code: CodeMissingClass, Detail: "symbol"}
	if got, want := Message(r), "Add at least one symbol character (the classes are upper, lower, digit and symbol)."; got != want {
		t.Errorf("Message(%v) = %q, want %q", r, got, want)
	}
}
