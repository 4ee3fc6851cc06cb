package audit

import (
	"encoding/csv"
	"encoding/json"
	"os"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

const (
	regionTablesPath = "../testdata/tables/region.json"
	destinationsCSV  = "../testdata/csv/destinations.csv"
)

// With tables that declare a region, the numbers of an export are
// classified: those the table lets through to a high tier get a
// high_tier_destination finding naming the destination (country, region,
// type, tier) in every format, a refused one only its blocked_number, a
// low-tier one nothing; the summary and the HTML report count them by
// country.
func TestHighTierDestination(t *testing.T) {
	doc, err := os.ReadFile(regionTablesPath)
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{Tables: tablesOf(string(doc))}
	type finding struct{ line, code, field, dest string }
	want := []finding{
		{"2", CodeHighTierDestination, "transfer_number", "country DO, region +1, type fixed_or_mobile, tier high"}, // NANP, another country
		{"3", CodeHighTierDestination, "notification_number", "country CU, region +53, type mobile, tier high"},
		{"4", CodeBlockedNumber, "transfer_number", ""}, // premium rate, refused: not flagged twice; its 91212 notification is low
		{"5", CodeHighTierDestination, "fax_number", "country 001, region +882, type international_network, tier high"},
		{"6", CodeBlockedNumber, "transfer_number", ""},                                                        // Lobby: Block All
		{"7", CodeHighTierDestination, "notification_number", "country JM, region +1, type mobile, tier high"}, // 2001: internal
	}
	check := func(format string, got []finding) {
		t.Helper()
		for i := range got {
			if want[i].dest == "" {
				got[i].dest = ""
			}
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\n got %v\nwant %v", format, got, want)
		}
	}

	rep, sum := runAudit(t, cfg, fileInput(destinationsCSV), "json")
	var got []finding
	for _, line := range strings.Split(strings.TrimSpace(rep), "\n") {
		var r Record
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatal(err)
		}
		for _, f := range r.Findings {
			got = append(got, finding{itoa(r.Line), f.Code, f.Field, destOf(f.Message)})
		}
	}
	check("json", got)
	if w := map[string]int{"DO": 1, "CU": 1, "001": 1, "JM": 1}; !reflect.DeepEqual(sum.HighTierByCountry, w) {
		t.Errorf("summary by country %v, want %v", sum.HighTierByCountry, w)
	}

	rep, _ = runAudit(t, cfg, fileInput(destinationsCSV), "csv")
	rows, err := csv.NewReader(strings.NewReader(rep)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	got = nil
	for _, r := range rows[1:] {
		got = append(got, finding{r[0], r[3], r[4], destOf(r[5])})
	}
	check("csv", got)

	rep, _ = runAudit(t, cfg, fileInput(destinationsCSV), "html")
	for _, s := range []string{
		"country DO, region +1, type fixed_or_mobile, tier high",
		"country 001, region +882, type international_network, tier high",
		"<h2 style=\"margin-top:16px\">High-tier destinations by country</h2>",
		"<tr><td>001 (international networks)</td><td>1</td></tr>",
		"<tr><td>JM</td><td>1</td></tr>",
		`href="#code=high_tier_destination"`,
	} {
		if !strings.Contains(rep, s) {
			t.Errorf("html report lacks %q", s)
		}
	}

	// The document's tiers decide: the Dominican Republic made low (a
	// site with an office there) is no longer flagged; the rest are.
	lowDO := strings.Replace(string(doc), `"region": {"country": "US"},`, `"region": {"country": "US"}, "tiers": {"countries": {"DO": "low"}},`, 1)
	_, sum = runAudit(t, Config{Tables: tablesOf(lowDO)}, fileInput(destinationsCSV), "json")
	if w := map[string]int{"CU": 1, "001": 1, "JM": 1}; !reflect.DeepEqual(sum.HighTierByCountry, w) {
		t.Errorf("with DO low: by country %v, want %v", sum.HighTierByCountry, w)
	}

	// Without a region, nothing is classified.
	noRegion := strings.Replace(string(doc), `"region": {"country": "US"},`, "", 1)
	rep, sum = runAudit(t, Config{Tables: tablesOf(noRegion)}, fileInput(destinationsCSV), "json")
	if strings.Contains(rep, CodeHighTierDestination) || sum.HighTierByCountry != nil {
		t.Errorf("tables without a region: %s", rep)
	}
}

// destOf is the destination a message names, "" for none.
func destOf(msg string) string {
	_, rest, ok := strings.Cut(msg, "destination: ")
	if !ok {
		return ""
	}
	d, _, _ := strings.Cut(rest, ";")
	return d
}

func itoa(n int) string { return strconv.Itoa(n) }
