package audit

import (
	"bufio"
	"fmt"
	"html"
	"strconv"
	"strings"
)

// htmlSink writes one self-contained HTML file: inline CSS and SVG, no
// script, no external asset (a Content-Security-Policy forbids loading
// any). It streams: the rows are written as they come and the summary
// and charts last; CSS order puts the summary first on screen.
type htmlSink struct {
	w       *bufio.Writer
	started bool
	shown   int
	hidden  int
	clean   int
}

// htmlMaxRows caps the rows listed; the JSON and CSV formats list all.
const htmlMaxRows = 10000

const htmlHead = `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>tollgate audit</title>
<style>
:root{--ink:#1d2330;--muted:#5b6474;--line:#dde1e8;--bg:#f6f7f9;--red:#c0392b;--amber:#d68910;--blue:#2e6da4;--grey:#7f8c8d}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--ink);background:var(--bg)}
main{display:flex;flex-direction:column;gap:18px;max-width:1200px;margin:0 auto;padding:24px}
.summary{order:-1}
section{background:#fff;border:1px solid var(--line);border-radius:8px;padding:16px 20px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:16px;margin:0 0 12px}
.meta{color:var(--muted);margin:0 0 14px}
.tiles{display:flex;flex-wrap:wrap;gap:12px;margin-bottom:16px}
.tile{flex:1 1 150px;border:1px solid var(--line);border-radius:6px;padding:10px 14px}
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
</style></head>
<body><main>
`

func (s *htmlSink) start() {
	if s.started {
		return
	}
	s.started = true
	s.w.WriteString(htmlHead)
	s.w.WriteString("<section class=\"rows\"><h2>Rows with findings</h2>\n<table><thead><tr><th>Line</th><th>Alias</th><th>Class of service</th><th>Code</th><th>Field</th><th>Message</th></tr></thead><tbody>\n")
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
	for i, f := range r.Findings {
		s.w.WriteString("<tr>")
		if i == 0 {
			n := strconv.Itoa(len(r.Findings))
			fmt.Fprintf(s.w, `<td class="line" rowspan="%s">%d</td><td rowspan="%s">%s</td><td rowspan="%s">%s</td>`,
				n, r.Line, n, html.EscapeString(r.Alias), n, html.EscapeString(r.COS))
		}
		fmt.Fprintf(s.w, `<td><code class="%s">%s</code></td><td>%s</td><td>%s</td></tr>`+"\n",
			severity(f.Code), html.EscapeString(f.Code), html.EscapeString(f.Field), html.EscapeString(f.Message))
	}
	_, err := s.w.WriteString("")
	return err
}

// severity groups codes for colour: what gives an attacker a way in,
// what breaks a rule, and rows that could not be read.
func severity(code string) string {
	switch code {
	case CodeRecoveredTrivial, CodeRecoveredPIN, CodeSharedPIN, CodeFIPSLegacyHash, CodeBlockedNumber:
		return "sev-high"
	case CodeBadRow, CodeCheckFailed, CodeInvalidValue:
		return "sev-row"
	}
	return "sev-mid"
}

func (s *htmlSink) End(sum *Summary) error {
	s.start()
	s.w.WriteString("</tbody></table>\n")
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
		e(sum.Input), e(sum.Encoding), e(sum.Policy), e(sum.Tables), e(sum.Engine), sum.Seconds)
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
	tile(sum.ByCode[CodeSharedPIN], "shared PINs", true)
	tile(sum.ByCode[CodeRecoveredTrivial]+sum.ByCode[CodeRecoveredPIN], "PINs and passwords recovered from hashes", true)
	tile(sum.BadRows, "bad rows", true)
	s.w.WriteString("</div>\n<div class=\"charts\">\n")
	s.chart("Findings by code", Sorted(sum.ByCode), true)
	s.chart("Findings by class of service", Sorted(sum.ByCOS), false)
	s.w.WriteString("</div>\n")
	if len(sum.ByField) > 0 {
		s.w.WriteString("<h2 style=\"margin-top:16px\">Findings by field</h2><p>")
		for i, c := range Sorted(sum.ByField) {
			if i > 0 {
				s.w.WriteString(" · ")
			}
			fmt.Fprintf(s.w, "<code>%s</code> %d", e(c.Key), c.N)
		}
		s.w.WriteString("</p>\n")
	}
	if len(sum.SkippedChecks) > 0 {
		fmt.Fprintf(s.w, "<p class=\"note\">Checks skipped (the engine lacks the operation): %s</p>\n", e(strings.Join(sum.SkippedChecks, ", ")))
	}
	s.w.WriteString("</section>\n</main></body></html>\n")
	return s.w.Flush()
}

// chart writes a horizontal bar chart as inline SVG.
func (s *htmlSink) chart(title string, counts []Count, byCode bool) {
	const maxBars, barH, gap, labelW, width = 14, 20, 6, 190, 560
	if len(counts) > maxBars {
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
		if byCode {
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
		fmt.Fprintf(s.w, `<text x="%d" y="%d" text-anchor="end">%s</text><rect x="%d" y="%d" width="%d" height="%d" rx="3" fill="%s"/><text class="n" x="%d" y="%d">%d</text>`,
			labelW-8, y+barH-6, html.EscapeString(label), labelW, y, w, barH, colour, labelW+w+6, y+barH-6, c.N)
	}
	s.w.WriteString("</svg></div>\n")
}
