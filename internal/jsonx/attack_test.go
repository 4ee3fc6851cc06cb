package jsonx

// Regression tests for findings of the attack on tollgate (issue 14), named
// after the finding; docs/security.md states the threat model.

import (
	"strings"
	"testing"
)

// Finding 6, non-UTF-8 secrets collide: String replaces invalid UTF-8 and
// lone surrogate escapes by U+FFFD, so "Kx93\xff" and "Kx93\xfe" read as
// the same text. Text refuses both, at the offset of the first bad byte or
// escape, and never names the byte.
func TestAttackNonUTF8SecretsCollide(t *testing.T) {
	for _, tc := range []struct {
		doc string
		off int // -1: accepted
		sur bool
		out string
	}{
		{"\"Kx93\xff\"", 5, false, ""},
		{"\"Kx93\xfe\"", 5, false, ""},
		{"\"\xc3\"", 1, false, ""},             // a truncated sequence
		{"\"\xed\xa0\x80\"", 1, false, ""},     // a surrogate encoded in UTF-8
		{"\"\xc0\xaf\"", 1, false, ""},         // an overlong encoding
		{"\"a\\n\xff\"", 4, false, ""},         // after an escape (slow path)
		{`"Kx93\udcff"`, 5, true, ""},          // a lone low surrogate
		{`"Kx93\ud800"`, 5, true, ""},          // a lone high surrogate
		{`"\ud800\u0041"`, 1, true, ""},        // high surrogate, then not a low one
		{`"ab\udc00\ud800x"`, 3, true, ""},     // reversed pair
		{"\"\\udcff\xff\"", 1, true, ""},       // the escape comes first
		{"\"\xff\\udcff\"", 1, false, ""},      // the byte comes first
		{`"Kx93"`, -1, false, "Kx93"},          // plain
		{`"\ud83d\ude00"`, -1, false, "😀"},     // a real pair
		{"\"caf\xc3\xa9\"", -1, false, "café"}, // valid UTF-8
		{`"\ufffd"`, -1, false, "\ufffd"},      // U+FFFD itself is a character
		{"\"\xef\xbf\xbd\\n\"", -1, false, "\ufffd\n"},
	} {
		d := NewDecoder([]byte(tc.doc))
		got, err := d.Text()
		if tc.off < 0 {
			if err != nil || got != tc.out {
				t.Errorf("Text(%q) = %q, %v; want %q", tc.doc, got, err, tc.out)
			}
			continue
		}
		e, ok := err.(*Error)
		if !ok {
			t.Errorf("Text(%q) = %q, %v; want an *Error at byte %d", tc.doc, got, err, tc.off)
			continue
		}
		if e.Offset != tc.off || e.Syntax || !strings.Contains(e.Msg, "not valid Unicode") ||
			strings.Contains(e.Msg, "surrogate") != tc.sur {
			t.Errorf("Text(%q): %+v; want offset %d, surrogate %v", tc.doc, e, tc.off, tc.sur)
		}
		if strings.Contains(e.Msg, "Kx93") || strings.Contains(e.Msg, "\xff") || strings.Contains(e.Msg, "\xfe") {
			t.Errorf("Text(%q): the message repeats the value: %q", tc.doc, e.Msg)
		}
	}
	// String keeps encoding/json's replacement (dialed numbers, names): the
	// two values it cannot tell apart are exactly the ones Text refuses.
	a, _ := NewDecoder([]byte("\"Kx93\xff\"")).String()
	b, _ := NewDecoder([]byte(`"Kx93\udcfe"`)).String()
	if a != "Kx93\ufffd" || b != a {
		t.Errorf("String: %q and %q, want both Kx93\\ufffd", a, b)
	}
	// In an object, the error names the member's path.
	d := NewDecoder([]byte("{\"ctx\":{\"old\":\"x\xff\"}}"))
	err := d.Object(func(string) error {
		return d.Object(func(string) error { _, err := d.Text(); return err })
	})
	if e, ok := err.(*Error); !ok || e.Path != "ctx.old" || e.Offset != 16 {
		t.Errorf("nested: %#v, want path ctx.old at byte 16", err)
	}
}
