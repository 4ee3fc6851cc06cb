package audit

import (
	"bufio"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"fmt"
	"html"
	"strings"

	"github.com/tollgate/tollgate/core/destination"
)

// htmlSink writes one self-contained HTML file: inline CSS, SVG and one
// inline script, no external asset (a Content-Security-Policy forbids
// loading any, and runs no script but that one, by its hash). It streams:
// the findings are written as they come and the summary and charts last;
// CSS order puts the summary first on screen.
//
// The table has one row per finding, whose data attributes (line, code,
// field, class of service) the script filters and groups on. Without
// script the page is still the whole report: every finding, in a table
// that scrolls inside the page.
type htmlSink struct {
	w       *bufio.Writer
	started bool
	shown   int
	hidden  int
	clean   int
}

// htmlPager is the page buttons, above and below the table.
const htmlPager = `<span class="f-pager"><button type="button" class="f-prev">&#8249; previous</button><span class="f-page"></span><button type="button" class="f-next">next &#8250;</button></span>`

// htmlMaxRows caps the rows listed; the JSON and CSV formats list all.
const htmlMaxRows = 10000

// htmlScript filters, groups and pages the findings table.
//
//go:embed htmlreport.js
var htmlScript string

// htmlScriptHash is the CSP source that lets htmlScript, and no other
// script, run.
var htmlScriptHash = func() string {
	h := sha256.Sum256([]byte(htmlScript))
	return "'sha256-" + base64.StdEncoding.EncodeToString(h[:]) + "'"
}()

var htmlHead = `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src ` + htmlScriptHash + `; base-uri 'none'; form-action 'none'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>tollgate audit</title>
<style>
:root{--ink:#1d2330;--muted:#5b6474;--line:#dde1e8;--bg:#f6f7f9;--red:#c0392b;--amber:#d68910;--blue:#2e6da4;--grey:#7f8c8d}
*{box-sizing:border-box}[hidden]{display:none!important}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--ink);background:var(--bg)}
main{display:flex;flex-direction:column;gap:18px;max-width:1200px;margin:0 auto;padding:24px}
.summary{order:-1}
section{background:#fff;border:1px solid var(--line);border-radius:8px;padding:16px 20px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:16px;margin:0 0 12px}
.meta{color:var(--muted);margin:0 0 14px}
.tiles{display:flex;flex-wrap:wrap;gap:12px;margin-bottom:16px}
.tile{flex:1 1 120px;border:1px solid var(--line);border-radius:6px;padding:10px 14px}
.tile b{display:block;font-size:26px}.tile span{color:var(--muted)}
.tile.warn b{color:var(--red)}
.charts{display:flex;flex-wrap:wrap;gap:24px}.chart{flex:1 1 460px}
.chart svg{width:100%;height:auto}
.chart text{font-size:12px;fill:var(--ink)}.chart .n{fill:var(--muted)}
table{width:100%;border-collapse:collapse}
th,td{text-align:left;padding:5px 8px;border-bottom:1px solid var(--line);vertical-align:top}
th{background:#eef1f5;position:sticky;top:0}
td.line{text-align:right;color:var(--muted);font-variant-numeric:tabular-nums}
code{font:12px ui-monospace,Menlo,Consolas,monospace;padding:1px 5px;border-radius:4px;background:#eef1f5;white-space:nowrap}
code.sev-high{background:#fbe3e0;color:var(--red)}code.sev-mid{background:#fdf0dc;color:#9a5b00}code.sev-row{background:#ececec;color:#555}
.note{color:var(--muted)}.interrupted{color:var(--red);font-weight:600}
.scroll{max-height:75vh;overflow:auto;border:1px solid var(--line);border-radius:6px}
.js .scroll{max-height:none;overflow:visible;border:0}
.tools{display:flex;flex-wrap:wrap;gap:8px 14px;align-items:center;margin:0 0 12px}
.tools label{display:flex;gap:6px;align-items:center;color:var(--muted)}
.tools select,.tools input,.tools button,tr.group button,td.more button{font:inherit;padding:3px 6px;border:1px solid var(--line);border-radius:4px;background:#fff;color:var(--ink)}
.tools button:disabled{color:#aaa}.tools select{max-width:15em}
.f-info{font-weight:600}.f-pager{display:flex;gap:6px;align-items:center;margin-left:auto}
.tools.bottom{margin:12px 0 0}
tr.group th{background:#fff;border-top:2px solid var(--line);font-weight:400}
tr.group button.toggle{border:0;padding:2px 4px;font-weight:600;cursor:pointer}
tr.group .count{color:var(--muted);margin-left:8px}
.chart a{cursor:pointer}.chart a:hover rect{opacity:.8}
a.key{color:inherit;text-decoration:none}a.key:hover code{outline:1px solid var(--blue)}
@media print{.scroll{max-height:none;overflow:visible}.tools{display:none}}
</style></head>
<body><main>
`

func (s *htmlSink) start() {
	if s.started {
		return
	}
	s.started = true
	s.w.WriteString(htmlHead)
	s.w.WriteString(`<section class="rows" id="rows"><h2>Findings</h2>
<div class="tools" id="tools" hidden>
<label>Code <select id="f-code"><option value="">all</option></select></label>
<label>Class of service <select id="f-cos"><option value="">all</option></select></label>
<label>Field <select id="f-field"><option value="">all</option></select></label>
<label>Search <input id="f-q" type="search" placeholder="alias, line, message" size="18"></label>
<label>Group by <select id="f-group"><option value="">nothing</option><option value="code">code</option><option value="cos">class of service</option><option value="field">field</option></select></label>
<button type="button" id="f-clear">Clear</button>
<span class="f-info"></span>
` + htmlPager + `
</div>
<div class="scroll"><table id="findings"><thead><tr><th>Line</th><th>Alias</th><th>Class of service</th><th>Code</th><th>Field</th><th>Message</th></tr></thead><tbody>
`)
}

func (s *htmlSink) Record(r *Record) error {
	s.start()
	if len(r.Findings) == 0 {
		s.clean++
		return nil
	}
	if s.shown >= htmlMaxRows {
		s.hidden++
		return nil
	}
	s.shown++
	e := html.EscapeString
	alias, cos := e(r.Alias), e(r.COS)
	key := cos
	if r.COS == "" {
		key = NoCOS // as the summary counts it
	}
	for _, f := range r.Findings {
		code, field := e(f.Code), e(f.Field)
		fmt.Fprintf(s.w, `<tr data-line="%d" data-code="%s" data-field="%s" data-cos="%s"><td class="line">%d</td><td>%s</td><td>%s</td><td><code class="%s">%s</code></td><td>%s</td><td>%s</td></tr>`+"\n",
			r.Line, code, field, key, r.Line, alias, cos, severity(f.Code), code, field, e(f.Message))
	}
	_, err := s.w.WriteString("")
	return err
}

// severity groups codes for colour: what gives an attacker a way in,
// what breaks a rule, and rows that could not be read.
func severity(code string) string {
	switch code {
	case CodeRecoveredTrivial, CodeRecoveredPIN, CodeSharedPIN, CodeFIPSLegacyHash, CodeBlockedNumber, CodeHighTierDestination:
		return "sev-high"
	case CodeBadRow, CodeCheckFailed, CodeInvalidValue:
		return "sev-row"
	}
	return "sev-mid"
}

func (s *htmlSink) End(sum *Summary) error {
	s.start()
	s.w.WriteString("</tbody></table></div>\n<div class=\"tools bottom\" id=\"tools-bottom\" hidden><span class=\"f-info\"></span>" + htmlPager + "</div>\n")
	if s.shown == 0 {
		s.w.WriteString("<p class=\"note\">No row has a finding.</p>\n")
	}
	fmt.Fprintf(s.w, "<p class=\"note\">%d rows without findings are not listed.", s.clean)
	if s.hidden > 0 {
		fmt.Fprintf(s.w, " %d more rows with findings are not listed either (the report lists the first %d); the JSON and CSV formats list every row.", s.hidden, htmlMaxRows)
	}
	s.w.WriteString("</p></section>\n")

	e := html.EscapeString
	s.w.WriteString("<section class=\"summary\">\n<h1>tollgate audit</h1>\n")
	fmt.Fprintf(s.w, "<p class=\"meta\">%s · %s · policy <b>%s</b> · tables <b>%s</b> · %s engine · %.1f s</p>\n",
		e(sum.Input), e(string(sum.Encoding)), e(sum.Policy), e(sum.Tables), e(sum.Engine), sum.Seconds)
	if sum.Interrupted {
		s.w.WriteString("<p class=\"interrupted\">Interrupted: this is a partial report of the rows before the interruption.</p>\n")
	}
	s.w.WriteString("<div class=\"tiles\">")
	tile := func(n int, label string, warn bool) {
		cls := "tile"
		if warn && n > 0 {
			cls += " warn"
		}
		fmt.Fprintf(s.w, `<div class="%s"><b>%d</b><span>%s</span></div>`, cls, n, label)
	}
	tile(sum.Rows, "rows", false)
	tile(sum.RowsWithFindings, "rows with findings", true)
	tile(sum.Findings, "findings", true)
	// A shared PIN is one value however many users hold it: the tile
	// counts values (groups), not the shared_pin findings of each holder.
	tile(sum.SharedPINs, "PINs held by several users", true)
	if sum.SharedPINRecords > 0 {
		tile(sum.SharedPINRecords, "stored PIN records held by several users", true)
	}
	tile(sum.UsersSharingPINs, "users sharing a PIN", true)
	tile(sum.ByCode[CodeRecoveredTrivial]+sum.ByCode[CodeRecoveredPIN], "PINs and passwords recovered from hashes", true)
	tile(sum.BadRows, "bad rows", true)
	s.w.WriteString("</div>\n<div class=\"charts\">\n")
	s.chart("Findings by code", "code", Sorted(sum.ByCode))
	s.chart("Findings by class of service", "cos", Sorted(sum.ByCOS))
	s.w.WriteString("</div>\n")
	if len(sum.ByField) > 0 {
		s.w.WriteString("<h2 style=\"margin-top:16px\">Findings by field</h2><p>")
		for i, c := range Sorted(sum.ByField) {
			if i > 0 {
				s.w.WriteString(" · ")
			}
			fmt.Fprintf(s.w, `<a class="key" href="%s"><code>%s</code></a> %d`, filterLink("field", c.Key), e(c.Key), c.N)
		}
		s.w.WriteString("</p>\n")
	}
	if len(sum.HighTierByCountry) > 0 {
		// The numbers that reach a high tier, by the country they reach:
		// where a hijacked mailbox's calls would be billed.
		s.w.WriteString("<h2 style=\"margin-top:16px\">High-tier destinations by country</h2>\n<table class=\"by-country\"><thead><tr><th>Country</th><th>Numbers</th></tr></thead><tbody>\n")
		for _, c := range Sorted(sum.HighTierByCountry) {
			name := c.Key
			if name == destination.NonGeographic {
				name += " (international networks)"
			}
			fmt.Fprintf(s.w, "<tr><td>%s</td><td>%d</td></tr>\n", e(name), c.N)
		}
		fmt.Fprintf(s.w, "</tbody></table>\n<p><a class=\"key\" href=\"%s\">Show these findings</a></p>\n", filterLink("code", CodeHighTierDestination))
	}
	if sum.PBKDF2.noteworthy() {
		fmt.Fprintf(s.w, "<p class=\"note\">%s.</p>\n", e(sum.PBKDF2.text()))
	}
	if len(sum.SkippedChecks) > 0 {
		fmt.Fprintf(s.w, "<p class=\"note\">Checks skipped (the engine lacks the operation): %s</p>\n", e(strings.Join(sum.SkippedChecks, ", ")))
	}
	s.w.WriteString("</section>\n</main>\n<script>")
	s.w.WriteString(htmlScript)
	s.w.WriteString("</script>\n</body></html>\n")
	return s.w.Flush()
}

// filterLink is the fragment that shows the findings whose key (code,
// cos, field) is v, HTML-escaped for an href.
func filterLink(key, v string) string {
	var b strings.Builder
	b.WriteString("#" + key + "=")
	for i := 0; i < len(v); i++ {
		c := v[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-_.~", c) >= 0 {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return html.EscapeString(b.String())
}

// chart writes a horizontal bar chart as inline SVG; each bar but
// "(others)" links to the findings it counts (key is "code" or "cos").
func (s *htmlSink) chart(title, key string, counts []Count) {
	const maxBars, barH, gap, labelW, width = 14, 20, 6, 190, 560
	others := len(counts) > maxBars
	if others {
		rest := 0
		for _, c := range counts[maxBars-1:] {
			rest += c.N
		}
		counts = append(counts[:maxBars-1:maxBars-1], Count{"(others)", rest})
	}
	fmt.Fprintf(s.w, "<div class=\"chart\"><h2>%s</h2>\n", html.EscapeString(title))
	if len(counts) == 0 {
		s.w.WriteString("<p class=\"note\">Nothing found.</p></div>\n")
		return
	}
	top := counts[0].N
	h := len(counts)*(barH+gap) + gap
	fmt.Fprintf(s.w, `<svg viewBox="0 0 %d %d" role="img" aria-label="%s">`, width, h, html.EscapeString(title))
	for i, c := range counts {
		y := gap + i*(barH+gap)
		w := 1 + (width-labelW-60)*c.N/max(top, 1)
		colour := "#2e6da4"
		if key == "code" {
			switch severity(c.Key) {
			case "sev-high":
				colour = "#c0392b"
			case "sev-row":
				colour = "#95a5a6"
			default:
				colour = "#d68910"
			}
		}
		label := c.Key
		if len([]rune(label)) > 26 {
			label = string([]rune(label)[:25]) + "…"
		}
		link := !others || i < len(counts)-1
		if link {
			fmt.Fprintf(s.w, `<a href="%s"><title>%s: %d</title>`, filterLink(key, c.Key), html.EscapeString(c.Key), c.N)
		}
		fmt.Fprintf(s.w, `<text x="%d" y="%d" text-anchor="end">%s</text><rect x="%d" y="%d" width="%d" height="%d" rx="3" fill="%s"/><text class="n" x="%d" y="%d">%d</text>`,
			labelW-8, y+barH-6, html.EscapeString(label), labelW, y, w, barH, colour, labelW+w+6, y+barH-6, c.N)
		if link {
			s.w.WriteString("</a>")
		}
	}
	s.w.WriteString("</svg></div>\n")
}
