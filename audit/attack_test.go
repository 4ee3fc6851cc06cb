package audit

// Regression tests for the findings of the attack on the audit (issue 14),
// each named after its finding; docs/security.md ("The audit and gen")
// states the threat model they keep. The CLI's share (files destroyed,
// a real interrupt) is in cmd/tollgate/attack_test.go.

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tollgate/tollgate/core/credential"
	"github.com/tollgate/tollgate/export"
	"github.com/tollgate/tollgate/internal/auditcore"
	"github.com/tollgate/tollgate/internal/directory"
)

// attackSecrets are the secrets the inputs below hold; no output may show
// any of them, or any other cell the tests mark as data.
var attackSecrets = []string{"S3cretPw!", "739164", "Hunter22x!", "Kx93qq!v", "{SSHA}"}

// everyOutput runs the audit of in in every format and returns each
// report with the summary (JSON and text) and what went to Warn, or the
// error of a run that could not start.
func everyOutput(t *testing.T, in []byte) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, format := range Formats() {
		var rep, warn bytes.Buffer
		sink, _ := NewSink(format, &rep)
		sum, err := Run(context.Background(), Config{Engine: nativeEngine(t), Workers: 2, Warn: &warn}, bytesInput("x.csv", in, true), sink)
		s := rep.String() + warn.String()
		if err != nil {
			s += "error: " + err.Error()
		} else {
			var sb bytes.Buffer
			WriteSummaryJSON(&sb, sum)
			WriteSummaryText(&sb, sum)
			s += sb.String()
		}
		out[format] = s
	}
	return out
}

func assertNoSecret(t *testing.T, what string, outputs map[string]string, secrets ...string) {
	t.Helper()
	for format, s := range outputs {
		for _, sec := range append(secrets, attackSecrets...) {
			if strings.Contains(s, sec) {
				t.Errorf("%s: %s output shows %q:\n%s", what, format, sec, s)
			}
		}
	}
}

// Finding 2: a ragged row (a field missing before the alias) put the next
// column's value, here the password, in the bad_row record's alias, in
// every format. A bad row carries its line and reason only.
func TestAttackRaggedRowPutsPasswordInReport(t *testing.T) {
	for _, c := range []struct{ name, in string }{
		{"extension missing", "Extension,Alias,Password,COS\nS3cretPw!,Staff\n"},
		{"first field missing", "Extension,Alias,Password\nS3cretPw!,x\n"},
		{"pin before alias", "PIN,Alias,Extension\n739164\n"},
		{"extra field", "Extension,Password,Alias\n1001,Hunter22x!,ann,Kx93qq!v\n"},
		{"crlf", "Extension,Alias,Password,COS\r\nS3cretPw!,Staff\r\n"},
	} {
		t.Run(c.name, func(t *testing.T) {
			outs := everyOutput(t, []byte(c.in))
			assertNoSecret(t, c.name, outs)
			recs := decodeLines(t, strings.Split(outs["json"], "\n{\n")[0])
			if len(recs) != 1 || recs[0].Alias != "" || recs[0].COS != "" || len(recs[0].Findings) != 1 || recs[0].Findings[0].Code != CodeBadRow {
				t.Errorf("records %+v, want one bad_row with no alias or class of service", recs)
			}
		})
	}
}

// Finding 3: a file without a header printed its first data row in the
// error ("header was ..."). No error or warning quotes a cell: a header
// cell is named only when it is a column name the audit knows.
func TestAttackHeaderlessExportPrintsFirstRow(t *testing.T) {
	for _, c := range []struct{ name, in, want string }{
		{"data row first", "ann,Hunter22x!,1001,{SSHA}qVX2aHwQdb7O5vAEpD+VnKz8oiB6ZE3Y\nbob,Kx93qq!v,1002,x\n", "column 3 a number"},
		{"no known column", "ann,Hunter22x!,Kx93qq!v\n", "3 with names it does not know (columns 1, 2 and 3, not printed)"},
		{"a known column among data", "Alias,Hunter22x!,Kx93qq!v\nann,x,y\n", "columns alias; 2 with names"},
		{"pin in the header", "Alias,PIN,739164\nann,1,2\n", "column 3 a number"},
	} {
		t.Run(c.name, func(t *testing.T) {
			outs := everyOutput(t, []byte(c.in))
			assertNoSecret(t, c.name, outs, "ann,", "1001")
			if !strings.Contains(outs["json"], c.want) {
				t.Errorf("got %q, want %q in it", outs["json"], c.want)
			}
		})
	}
	// An audit that runs names only the columns it knows; the others go
	// by number, on stderr and in the summary.
	outs := everyOutput(t, []byte("Alias,City,PIN,Hunter22x!,Kx93qq!v\nann,Oslo,802417,a,b\n"))
	assertNoSecret(t, "unknown header cells", outs)
	for format, s := range outs {
		if !strings.Contains(s, "ignoring columns City, and columns 4 and 5: names the audit does not know") {
			t.Errorf("%s: the note does not name City and number the others:\n%s", format, s)
		}
	}
	if !strings.Contains(outs["json"], `"unknown_columns": [`) || !strings.Contains(outs["json"], `"ignored_columns": [`+"\n"+`    "City"`) {
		t.Errorf("summary: %s", outs["json"])
	}

	// serve --users: a users file without a header is refused without
	// quoting it.
	_, err := directory.Read("users.csv", strings.NewReader("2001,Staff,739164,Hunter22x!\n"), "", "")
	if err == nil || strings.Contains(err.Error(), "Hunter22x!") || strings.Contains(err.Error(), "739164") {
		t.Errorf("directory: err = %v", err)
	}
}

// Finding 4: a file with CR line ends was read as one header line: its
// PINs were listed as ignored columns, and the audit said 0 rows,
// complete. CR, LF and CRLF files give the same records, CR inside a
// quoted field included; a header that cannot be one is an error.
func TestAttackCROnlyLineEndsLoseEveryRow(t *testing.T) {
	// As found: "0 rows, complete", the PINs listed as ignored columns.
	outs := everyOutput(t, []byte("Alias,PIN,Extension\rann,739164,1001\rbob,802417,1002\r"))
	assertNoSecret(t, "CR file", outs, "802417")
	for format, s := range outs {
		if !strings.Contains(s, "2 rows, ") || strings.Contains(s, "ignoring") {
			t.Errorf("CR file, %s: not 2 rows, or columns ignored:\n%s", format, s)
		}
	}

	lf := "Alias,PIN,Extension,City\n" +
		"ann,739164,1001,Oslo\n" +
		"bob,123456,1002,\"Bergen\nNorway\"\n" +
		"cid,\"broken,1003,x\n" +
		"dan,802417,1004,Kx93qq!v\n"
	want, _ := runAudit(t, Config{}, bytesInput("lf.csv", []byte(lf), true), "json")
	recs := decodeLines(t, want)
	if len(recs) != 4 || recs[3].Line != 6 {
		t.Fatalf("LF file: %d records: %s", len(recs), want)
	}
	for name, in := range map[string]string{
		"cr":           strings.ReplaceAll(lf, "\n", "\r"),
		"crlf":         strings.ReplaceAll(lf, "\n", "\r\n"),
		"cr, no final": strings.TrimSuffix(strings.ReplaceAll(lf, "\n", "\r"), "\r"),
		"cr with bom":  "\ufeff" + strings.ReplaceAll(lf, "\n", "\r"),
		"cr, utf-16":   string(utf16File(strings.ReplaceAll(lf, "\n", "\r"), true)),
	} {
		for _, rereadable := range []bool{true, false} {
			var warn bytes.Buffer
			got, sum := runAudit(t, Config{Warn: &warn}, bytesInput(name, []byte(in), rereadable), "json")
			// The quoted field's line break reads as LF in every file.
			if got != want || sum.Rows != 4 || len(sum.IgnoredColumns) != 1 || strings.Contains(warn.String(), "739164") {
				t.Errorf("%s (rereadable %v): rows %d, ignored %q, warn %q\n%s\nwant\n%s", name, rereadable, sum.Rows, sum.IgnoredColumns, warn.String(), got, want)
			}
		}
	}
	// In an LF file a CR alone is text, as RFC 4180 has it: no new row.
	got, sum := runAudit(t, Config{}, bytesInput("x.csv", []byte("Alias,PIN\nann,\"73\r91\"\nbob,802417\n"), true), "json")
	if sum.Rows != 2 {
		t.Errorf("CR inside a quoted field of an LF file: %s", got)
	}
	// A header cell written on two lines (quoted) is still a header.
	if _, sum := runAudit(t, Config{}, bytesInput("x.csv", []byte("Alias,\"Voicemail\nPIN\",PIN\nann,x,802417\n"), true), "json"); sum.Rows != 1 || len(sum.UnknownColumns) != 1 {
		t.Errorf("a two-line header cell: %+v", sum)
	}
	// A header that cannot be one stops the audit, and says why.
	wide := strings.Repeat("Junk,", export.MaxColumns) + "PIN\n1\n"
	for _, c := range []struct{ name, in, want string }{
		{"lines not split", "Alias,PIN,City\nann,802417,\"Oslo\"\r\"bob\",739164,x\n", ""},
		{"header not split", "Alias,PIN,\"City\rann\",739164\n", "column 3 a carriage return or control character"},
		{"too wide", wide, "1025 columns, more than the 1024"},
		{"a stored record", "Alias,PIN,{SSHA}qVX2aHwQdb7O5vAEpD+VnKz8oiB6ZE3Y\n", "column 3 a stored credential record"},
	} {
		outs := everyOutput(t, []byte(c.in))
		assertNoSecret(t, c.name, outs, "ann", "bob")
		if c.want != "" && !strings.Contains(outs["json"], "error: ") || !strings.Contains(outs["json"], c.want) {
			t.Errorf("%s: got %q, want an error with %q", c.name, outs["json"], c.want)
		}
	}

	// serve --users reads CR files too.
	d, err := directory.Read("users.csv", strings.NewReader("Extension,COS,PIN\r2001,Staff,739164\r2002,Lobby,123456\r"), "", "")
	if err != nil || d.Users() != 2 {
		t.Fatalf("directory: %v", err)
	}
	if cos, _ := d.ClassOfService("2002"); cos != "Lobby" {
		t.Errorf("directory: 2002 has %q", cos)
	}
}

// Finding 12: an unclosed quote followed by a line over 1 MiB lost that
// line's record. One record per input row, always.
func TestAttackLongLineAfterUnclosedQuoteIsLost(t *testing.T) {
	long := strings.Repeat("x", export.MaxRecordBytes+10)
	for _, c := range []struct {
		name, in string
		want     []string
	}{
		{"right after the quote", "h1,h2\nx,\"open\n" + long + "\nc,d\n",
			[]string{"001:h1|h2", "002:!broken quoting: the quoted field opened at line 2 column 3 is never closed", "003:!line longer than 1048576 bytes", "004:c|d"}},
		{"after some lines", "h1,h2\nx,\"open\na,b\n" + long + "\nc,d\n",
			[]string{"001:h1|h2", "002:!broken quoting: the quoted field opened at line 2 column 3 is never closed", "003:a|b", "004:!line longer than 1048576 bytes", "005:c|d"}},
		{"at the end", "h1,h2\nx,\"open\n" + long,
			[]string{"001:h1|h2", "002:!broken quoting: the quoted field opened at line 2 column 3 is never closed", "003:!line longer than 1048576 bytes"}},
		{"cr file", "h1,h2\rx,\"open\r" + long + "\rc,d\r",
			[]string{"001:h1|h2", "002:!broken quoting: the quoted field opened at line 2 column 3 is never closed", "003:!line longer than 1048576 bytes", "004:c|d"}},
	} {
		got := readAll(t, []byte(c.in))
		if strings.Join(got, "\n") != strings.Join(c.want, "\n") {
			t.Errorf("%s: got %.200q, want %q", c.name, got, c.want)
		}
	}
	// And through the audit: every row is a record, in order.
	in := "Alias,PIN\nann,\"802417\n" + long + "\nbob,739164\n"
	out, sum := runAudit(t, Config{}, bytesInput("x.csv", []byte(in), true), "json")
	recs := decodeLines(t, out)
	if sum.Rows != 3 || len(recs) != 3 || recs[1].Line != 3 || recs[1].Findings[0].Code != CodeBadRow || recs[2].Line != 4 {
		t.Errorf("rows %d: %s", sum.Rows, out)
	}
}

// The no-secret scan of TestNoSecretInAnyOutput, over the inputs the
// findings above were found with: ragged, header-less and CR files.
func TestAttackNoSecretInAnyOutputOfBrokenFiles(t *testing.T) {
	rec, _ := credential.Make(credential.SSHA, "Kx93qq!v", []byte{1, 2, 3, 4})
	rows := "ann,802417,Hunter22x!," + rec + ",1001\n" +
		"bob,739164,S3cretPw!\n" + // ragged
		"cid,\"123456,Kx93qq!v," + rec + ",1003\n" // unclosed quote
	for name, in := range map[string]string{
		"ragged":     "Alias,PIN,Password,PinHash,Extension\n" + rows,
		"alias late": "Extension,Alias,PIN,Password\n" + "Hunter22x!,739164,S3cretPw!\n802417,Kx93qq!v\n",
		"headerless": rows,
		"cr":         strings.ReplaceAll("Alias,PIN,Password,PinHash,Extension\n"+rows, "\n", "\r"),
		"cr, no hdr": strings.ReplaceAll(rows, "\n", "\r"),
	} {
		assertNoSecret(t, name, everyOutput(t, []byte(in)), rec, "802417", "123456")
	}
}

// gen reads its users with the same reader: CR files too, and a header
// that cannot be one is refused the same way, without quoting it.
func TestAttackGenReadsCRFilesAndQuotesNoCell(t *testing.T) {
	var out bytes.Buffer
	st, err := Generate(context.Background(), GenConfig{Engine: nativeEngine(t)}, "u.csv",
		strings.NewReader("Alias,Extension\rann,1001\rbob,1002\r"), &out)
	if err != nil || st.Users != 2 || strings.Count(out.String(), "\r\n") != 3 {
		t.Errorf("CR file: %+v, %v: %q", st, err, out.String())
	}
	_, err = Generate(context.Background(), GenConfig{Engine: nativeEngine(t)}, "u.csv",
		strings.NewReader("ann,Hunter22x!,1001\n"), io.Discard)
	if err == nil || strings.Contains(err.Error(), "Hunter22x!") || strings.Contains(err.Error(), "ann") {
		t.Errorf("header-less: err = %v", err)
	}
}

// Finding 13: interrupted JSON Lines and CSV reports carried no partial
// marker, as table and HTML do. JSON Lines ends with {"partial":true,...},
// CSV with a row of code "partial"; a complete report has neither. (The
// CLI test interrupts a real process: cmd/tollgate/attack_test.go.)
func TestAttackInterruptedReportsUnmarked(t *testing.T) {
	var b strings.Builder
	b.WriteString("Alias,Extension,PIN\n")
	for i := range 20000 {
		fmt.Fprintf(&b, "u%d,%d,%06d\n", i, 10000+i, i*7919%1000000)
	}
	for _, interrupt := range []bool{true, false} {
		for _, format := range []string{"json", "csv"} {
			ctx, cancel := context.WithCancel(context.Background())
			eng := &cancelAfter{Checker: nativeEngine(t), cancel: cancel}
			eng.n.Store(3000)
			if !interrupt {
				eng.n.Store(1 << 40)
			}
			var out bytes.Buffer
			sink, _ := NewSink(format, &out)
			sum, err := Run(ctx, Config{Engine: eng, Workers: 2}, bytesInput("big.csv", []byte(b.String()), true), sink)
			cancel()
			if err != nil || sum.Interrupted != interrupt {
				t.Fatalf("%s: interrupted %v, err %v", format, sum.Interrupted, err)
			}
			last, rows := readReport(t, format, out.Bytes())
			if rows != sum.Rows {
				t.Errorf("%s: %d rows in the report, the summary says %d", format, rows, sum.Rows)
			}
			switch {
			case !interrupt && last != nil:
				t.Errorf("%s: a complete report ends with %v", format, last)
			case interrupt && (last == nil || last["rows"] != strconv.Itoa(sum.Rows) || !strings.Contains(last["message"], "interrupted: the report holds the first "+strconv.Itoa(sum.Rows)+" rows")):
				t.Errorf("%s: interrupted after %d rows, the report ends with %v", format, sum.Rows, last)
			}
		}
	}
}

// readReport reads a JSON Lines or CSV report the way a strict reader
// would (every JSON line an object, every CSV row six fields) and returns
// its partial marker (nil if none) and the number of rows it reports.
func readReport(t *testing.T, format string, b []byte) (map[string]string, int) {
	t.Helper()
	rows := map[string]bool{}
	var marker map[string]string
	if format == "json" {
		dec := json.NewDecoder(bytes.NewReader(b))
		for dec.More() {
			var m map[string]any
			if err := dec.Decode(&m); err != nil {
				t.Fatalf("json: %v", err)
			}
			if marker != nil {
				t.Fatalf("json: a line after the partial marker")
			}
			if m["partial"] == true {
				marker = map[string]string{"rows": fmt.Sprint(m["rows"]), "message": fmt.Sprint(m["message"]), "last_line": fmt.Sprint(m["last_line"])}
				continue
			}
			rows[fmt.Sprint(m["line"])] = true
		}
		return marker, len(rows)
	}
	recs, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil {
		t.Fatalf("csv: %v", err)
	}
	for i, r := range recs[1:] {
		if r[3] == CodePartial {
			if i != len(recs)-2 || r[0] != "" {
				t.Fatalf("csv: partial row %q is not the last, or has a line", r)
			}
			n := strings.Fields(strings.TrimPrefix(r[5], "interrupted: the report holds the first "))[0]
			marker = map[string]string{"rows": n, "message": r[5]}
			continue
		}
		rows[r[0]] = true
	}
	return marker, len(rows)
}

// Finding 21: exports of PBKDF2 records cost seconds a row with no
// warning. The audit counts them and their iterations in its first pass,
// measures an iteration here, and says what they will cost before it
// starts; the summary says it too.
func TestAttackPBKDF2ExportsCostWithoutWarning(t *testing.T) {
	rec, err := credential.MakeIterations(credential.PBKDF2SHA256, "Kx93qq!v", make([]byte, 16), 20000)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	b.WriteString("Alias,Extension,PIN Hash,Password Hash\n")
	for i := range 300 {
		fmt.Fprintf(&b, "u%d,%d,,%s\n", i, 10000+i, rec)
	}
	b.WriteString("cheap,1,{SHA}qVX2aHwQdb7O5vAEpD+VnKz8oiB6ZE3Y,\n")
	in := b.String()

	// The warning comes before any row is checked: the test stops the
	// audit when it sees it (and, should it never come, after 3 s).
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	warn := &watchWriter{want: "PBKDF2", seen: cancel}
	var out bytes.Buffer
	sink, _ := NewSink("json", &out)
	sum, err := Run(ctx, Config{Engine: nativeEngine(t), Workers: 2, Warn: warn}, bytesInput("pb.csv", []byte(in), true), sink)
	if err != nil {
		t.Fatal(err)
	}
	w := warn.String()
	if !regexp.MustCompile(`^audit: pb\.csv: 300 PBKDF2 records at 20,000 iterations: about \S+ on [12] workers \(\S+ a record: up to [0-9,]+ candidate verifications in all\)`).MatchString(w) {
		t.Errorf("warning %q", w)
	}
	if out.Len() > 0 && strings.Count(out.String(), "\n") > 1 {
		t.Errorf("rows were checked before the warning: %d lines", strings.Count(out.String(), "\n"))
	}
	p := sum.PBKDF2
	if p == nil || p.Records != 300 || p.MinIterations != 20000 || p.MaxIterations != 20000 || p.Verifications < 300*auditcore.PBKDF2ListLimit || p.EstimatedSeconds < pbkdf2Warn.Seconds() {
		t.Fatalf("summary: %+v", p)
	}
	// Its figure: verifications × iterations × the measured cost.
	if want := float64(p.Verifications) * 20000 * nativeRate(credential.PBKDF2SHA256) / float64(p.Workers); p.EstimatedSeconds < want*0.99 || p.EstimatedSeconds > want*1.01 {
		t.Errorf("estimate %.1f s, want %.1f s", p.EstimatedSeconds, want)
	}
	var text bytes.Buffer
	WriteSummaryText(&text, sum)
	if !strings.Contains(text.String(), "300 PBKDF2 records at 20,000 iterations: estimated to cost up to ") {
		t.Errorf("text summary: %s", text.String())
	}

	// Standard input has no first pass: the first record is announced
	// with its cost as it comes.
	ctx, cancel = context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	warn = &watchWriter{want: "PBKDF2", seen: cancel}
	sink, _ = NewSink("json", io.Discard)
	big, _ := credential.MakeIterations(credential.PBKDF2SHA512, "Kx93qq!v", make([]byte, 16), 200000)
	sum, err = Run(ctx, Config{Engine: nativeEngine(t), Workers: 1, Warn: warn}, bytesInput("stdin", []byte("Alias,PasswordHash\nann,"+big+"\n"), false), sink)
	if err != nil || !strings.Contains(warn.String(), "PBKDF2 records (the first at line 2, 200,000 iterations) cost about ") {
		t.Errorf("stdin: %v: %q", err, warn.String())
	}
	if sum.PBKDF2 == nil || sum.PBKDF2.Records != 1 || sum.PBKDF2.MaxIterations != 200000 {
		t.Errorf("stdin summary: %+v", sum.PBKDF2)
	}
}

// watchWriter collects notes and calls seen at the first holding want.
type watchWriter struct {
	bytes.Buffer
	want string
	seen func()
}

func (w *watchWriter) Write(p []byte) (int, error) {
	n, err := w.Buffer.Write(p)
	if bytes.Contains(p, []byte(w.want)) && w.seen != nil {
		w.seen()
		w.seen = nil
	}
	return n, err
}
