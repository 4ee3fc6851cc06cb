package dialplan

import (
	"os"
	"strings"
	"testing"
)

// TestRefusalCatalogue: every reason has its own code and a sentence, the
// code is the reason's own except for a blocking row, and the catalogue
// copy holds exactly those.
func TestRefusalCatalogue(t *testing.T) {
	all := RefusalMessages()
	seen := map[string]bool{}
	for r := ReasonMatched; r <= ReasonTimeout; r++ {
		code, msg := r.RefusalCode(), r.RefusalMessage()
		want := r.String()
		if r == ReasonMatched {
			want = "blocked"
		}
		if code != want {
			t.Errorf("%s: refusal code %q, want %q", r, code, want)
		}
		if seen[code] {
			t.Errorf("%s: refusal code %q used twice", r, code)
		}
		seen[code] = true
		if msg == "" || strings.ContainsAny(msg, "{}") || !strings.HasSuffix(msg, ".") {
			t.Errorf("%s: message %q, want a plain sentence", r, msg)
		}
		if all[code] != msg {
			t.Errorf("RefusalMessages()[%q] = %q, want %q", code, all[code], msg)
		}
	}
	if len(all) != len(seen) {
		t.Errorf("RefusalMessages has %d entries, want %d", len(all), len(seen))
	}
	if r := Reason(200); r.RefusalCode() != "blocked" || r.RefusalMessage() == "" {
		t.Errorf("an unknown reason explains itself as %q %q", r.RefusalCode(), r.RefusalMessage())
	}
	all["blocked"] = "changed"
	if RefusalMessages()["blocked"] == "changed" {
		t.Error("RefusalMessages returns the catalogue itself, not a copy")
	}
}

// TestRefusalCatalogueDocumented: docs/tables.md lists the catalogue as it
// is.
func TestRefusalCatalogueDocumented(t *testing.T) {
	doc, err := os.ReadFile("../../docs/tables.md")
	if err != nil {
		t.Fatal(err)
	}
	for code, msg := range RefusalMessages() {
		if row := "| `" + code + "` | " + msg + " |"; !strings.Contains(string(doc), row) {
			t.Errorf("docs/tables.md lacks the row %s", row)
		}
	}
}
