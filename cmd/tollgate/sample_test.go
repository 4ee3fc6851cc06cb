package main

import (
	"encoding/json"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/tollgate/tollgate/core/dialplan"
)

// sampleTables is the tables document `make run-sample` audits the sample
// with: its classes of service linked to the built-in tables.
const sampleTables = "../../testdata/tables/sample.json"

// TestSampleAuditPrintsNoWarnings is the README's first command: the
// bundled sample audited with its tables prints findings and nothing on
// stderr. Without the tables the built-in set knows none of the sample's
// classes of service and says so for each one.
func TestSampleAuditPrintsNoWarnings(t *testing.T) {
	code, out, errs := runCLI(t, "", "audit", "--tables", sampleTables, sampleCSV)
	if code != exitRefused || errs != "" || !strings.Contains(out, "300 rows, ") {
		t.Errorf("audit --tables %s: exit %d (want %d), stderr:\n%s", sampleTables, code, exitRefused, errs)
	}
	_, _, errs = runCLI(t, "", "audit", sampleCSV)
	if n := strings.Count(errs, "is not in the restriction tables"); n != 4 {
		t.Errorf("audit with the built-in tables: %d class-of-service warnings, want 4 (one per class of the sample):\n%s", n, errs)
	}
}

// TestSampleTablesAreBuiltinTables holds testdata/tables/sample.json to
// what docs/audit.md says it is: the built-in default and recommended
// tables, unchanged, linked by every class of service the sample uses.
func TestSampleTablesAreBuiltinTables(t *testing.T) {
	data, err := os.ReadFile(sampleTables)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := dialplan.Import(sampleTables, data)
	if err != nil {
		t.Fatal(err)
	}
	builtin := map[string]dialplan.TableDoc{}
	set := map[string]string{} // table name -> built-in set
	for name, d := range map[string]*dialplan.Document{dialplan.SetDefault: dialplan.DefaultDocument(), dialplan.SetRecommended: dialplan.RecommendedDocument()} {
		for _, td := range d.Tables {
			builtin[td.Name], set[td.Name] = td, name
		}
	}
	for _, td := range doc.Tables {
		if want, ok := builtin[td.Name]; !ok || !reflect.DeepEqual(td, want) {
			t.Errorf("table %q is not the built-in table of that name:\n got %+v\nwant %+v", td.Name, td, want)
		}
	}
	if want := dialplan.RecommendedDocument().TrunkAccessCodes; !slices.Equal(doc.TrunkAccessCodes, want) {
		t.Errorf("trunk_access_codes %v, want the recommended set's %v", doc.TrunkAccessCodes, want)
	}
	classes := map[string]bool{}
	for _, c := range doc.ClassesOfService {
		classes[c.Name] = true
		links := []string{c.Transfer, c.Outdial, c.Fax, c.SystemTransfer}
		if slices.Contains(links, "") || set[links[0]] == "" || set[links[1]] != set[links[0]] || set[links[2]] != set[links[0]] || set[links[3]] != set[links[0]] {
			t.Errorf("class of service %q links %v: want all four features in one built-in set", c.Name, links)
		}
	}
	// The classes the audit reads from the sample (its own CSV reader:
	// the sample has broken rows on purpose).
	_, out, _ := runCLI(t, "", "audit", "--engine", "native", "--format", "json", sampleCSV)
	seen := 0
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var rec struct {
			Line int    `json:"line"`
			COS  string `json:"cos"`
		}
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("audit --format json: %v: %s", err, line)
		}
		if rec.COS != "" {
			seen++
			if !classes[rec.COS] {
				t.Errorf("%s line %d: class of service %q is not in %s", sampleCSV, rec.Line, rec.COS, sampleTables)
			}
		}
	}
	if seen < 250 {
		t.Errorf("a class of service on %d rows of %s's 300", seen, sampleCSV)
	}
}
