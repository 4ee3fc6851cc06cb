package audit

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/tollgate/tollgate/core/credential"
)

// tiles returns the HTML report's summary tiles, label → number.
func tiles(t *testing.T, page string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, m := range regexp.MustCompile(`<div class="tile[^"]*"><b>(\d+)</b><span>([^<]*)</span></div>`).FindAllStringSubmatch(page, -1) {
		out[m[2]] = m[1]
	}
	if len(out) == 0 {
		t.Fatalf("no tiles in the report")
	}
	return out
}

// The shared-PIN tile counts PINs (one per group of holders), not the
// shared_pin findings, one per holder: 5 users sharing 2 PINs are 2
// shared PINs. Stored records count apart. The tile used to say 7 here (the
// findings), and the summary had no count of groups at all.
func TestHTMLSharedPINTiles(t *testing.T) {
	rec := mkRecord(t, credential.SHA, "802417") // {SHA}: unsalted, so equal PINs give equal records
	in := "Alias,Extension,PIN,PIN Hash\n" +
		"a,1001,739146,\nb,1002,739146,\nc,1003,739146,\n" + // one PIN, 3 holders
		"d,1004,805137,\ne,1005,805137,\n" + // another, 2 holders
		"f,1006,582047,\n" + // held once
		"g,1007,," + rec + "\nh,1008,," + rec + "\n" // one stored record, 2 holders
	for _, rereadable := range []bool{true, false} {
		page, sum := runAudit(t, Config{}, bytesInput("f.csv", []byte(in), rereadable), "html")
		if sum.ByCode[CodeSharedPIN] != 7 && rereadable {
			t.Fatalf("%d shared_pin findings, want 7", sum.ByCode[CodeSharedPIN])
		}
		got := tiles(t, page)
		users := "7"
		if !rereadable {
			users = "4" // read once: the first holder of each value is not flagged
		}
		want := map[string]string{
			"PINs held by several users":               "2",
			"stored PIN records held by several users": "1",
			"users sharing a PIN":                      users,
		}
		for label, n := range want {
			if got[label] != n {
				t.Errorf("rereadable %v: tile %q = %q, want %s (tiles %v)", rereadable, label, got[label], n, got)
			}
		}
		if sum.SharedPINs != 2 || sum.SharedPINRecords != 1 {
			t.Errorf("rereadable %v: summary shared %d PINs %d records, want 2 and 1", rereadable, sum.SharedPINs, sum.SharedPINRecords)
		}
	}
}

// Every finding is one table row carrying what the page's script filters
// and groups on, so the page without script is the whole report.
func TestHTMLOneRowPerFinding(t *testing.T) {
	js, _ := runAudit(t, Config{Workers: 2}, fileInput(samplePath), "json")
	page, _ := runAudit(t, Config{Workers: 2}, fileInput(samplePath), "html")
	rowRE := regexp.MustCompile(`<tr data-line="(\d+)" data-code="([^"]*)" data-field="([^"]*)" data-cos="([^"]*)">`)
	got := rowRE.FindAllStringSubmatch(page, -1)
	var want []string
	for _, r := range decodeLines(t, js) {
		cos := r.COS
		if cos == "" {
			cos = NoCOS
		}
		for _, f := range r.Findings {
			want = append(want, fmt.Sprintf("%d %s %s %s", r.Line, f.Code, f.Field, cos))
		}
	}
	if len(got) != len(want) {
		t.Fatalf("%d finding rows in the page, want %d", len(got), len(want))
	}
	for i, m := range got {
		if s := strings.Join(m[1:], " "); s != want[i] {
			t.Fatalf("row %d: %q, want %q", i, s, want[i])
		}
	}
	// The controls are there for the script to reveal, hidden without it.
	if !strings.Contains(page, `<div class="tools" id="tools" hidden>`) || !strings.Contains(page, "[hidden]{display:none!important}") {
		t.Errorf("the filter controls are not hidden when no script runs")
	}
}

// The one inline script runs by its hash: the page's CSP names it, and
// no other script (nor any 'unsafe-inline' one) may run.
func TestHTMLScriptAllowedByHash(t *testing.T) {
	page, _ := runAudit(t, Config{}, bytesInput("x.csv", []byte("Alias,PIN\nann,123456\n"), true), "html")
	if n := strings.Count(page, "<script"); n != 1 {
		t.Fatalf("%d scripts, want 1", n)
	}
	body := page[strings.Index(page, "<script>")+len("<script>") : strings.Index(page, "</script>")]
	h := sha256.Sum256([]byte(body))
	csp := regexp.MustCompile(`<meta http-equiv="Content-Security-Policy" content="([^"]*)">`).FindStringSubmatch(page)
	if csp == nil {
		t.Fatal("no Content-Security-Policy")
	}
	want := "script-src 'sha256-" + base64.StdEncoding.EncodeToString(h[:]) + "';"
	if !strings.Contains(csp[1], want) || !strings.Contains(csp[1], "default-src 'none'") || strings.Count(csp[1], "unsafe-inline") != 1 {
		t.Errorf("CSP %q: want default-src 'none', %s and unsafe-inline for styles only", csp[1], want)
	}
}

func TestFilterLink(t *testing.T) {
	for v, want := range map[string]string{
		"shared_pin":          "#code=shared_pin",
		"Voice Mail User COS": "#code=Voice%20Mail%20User%20COS",
		`a&b="<x>"`:           "#code=a%26b%3D%22%3Cx%3E%22",
		"Ärzte":               "#code=%C3%84rzte",
	} {
		if got := filterLink("code", v); got != want {
			t.Errorf("filterLink(%q) = %q, want %q", v, got, want)
		}
	}
}
