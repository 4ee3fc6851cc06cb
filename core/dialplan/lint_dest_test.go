package dialplan_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/tollgate/tollgate/core/dialplan"
)

// destKeys renders destination findings as "code@table:row=example(country type)".
func destKeys(fs []dialplan.Finding) []string {
	var out []string
	for _, f := range fs {
		if f.HasDestination {
			out = append(out, fmt.Sprintf("%s@%s:%d=%s(%s %s)", f.Code, f.Table, f.Row, f.Example, f.Destination.Country, f.Destination.Type))
		}
	}
	slices.Sort(out)
	return out
}

// checkExamples holds every destination finding to what it says: its
// example is allowed by the table, within its digit limits, and goes
// where the finding says.
func checkExamples(t *testing.T, s *dialplan.Set, fs []dialplan.Finding) {
	t.Helper()
	for _, f := range fs {
		if !f.HasDestination {
			continue
		}
		tab, _ := s.Table(f.Table)
		if r := tab.MatchString(f.Example); !r.Allowed {
			t.Errorf("%s %s: example %s is not allowed (%s)", f.Code, f.Table, f.Example, r.Reason)
		}
		d, ok := tab.Destination(f.Example)
		if !ok || d != f.Destination {
			t.Errorf("%s %s: example %s goes to %+v, the finding says %+v", f.Code, f.Table, f.Example, d, f.Destination)
		}
		if !strings.Contains(f.Message, f.Example) {
			t.Errorf("%s: the message does not name the example: %s", f.Code, f.Message)
		}
	}
}

const usRegion = `"region":{"country":"US"},`

var destLintTests = []struct {
	name, doc string
	want      []string
}{
	{"no region, no destination findings", `{"tables":[{"name":"T","max_digits":20,"rows":[{"pattern":"9011*"},{"pattern":"*","blocked":false}]}]}`, nil},
	{"the NANP hole: 9011 blocked, 91 allowed", `{` + usRegion + `"tables":[{"name":"T","max_digits":20,"rows":[{"pattern":"9011*"},{"pattern":"90*"},{"pattern":"+*"},{"pattern":"91*","blocked":false},{"pattern":"*"}]}]}`,
		[]string{"high_tier_allowed@T:3=912469760000(BB premium_rate)", "high_tier_allowed@T:3=915002000000(US personal)", "nanp_international@T:3=912422250000(BS uan)"}},
	{"domestic only is clean", `{` + usRegion + `"tables":[{"name":"T","max_digits":20,"rows":[{"pattern":"91408???????","blocked":false},{"pattern":"91212???????","blocked":false},{"pattern":"????","blocked":false},{"pattern":"*"}]}]}`, nil},
	{"reach high is meant", `{` + usRegion + `"tables":[{"name":"T","max_digits":20,"reach":"high","rows":[{"pattern":"*","blocked":false}]}]}`, nil},
	{"reach low: international is above it", `{` + usRegion + `"tables":[{"name":"T","max_digits":20,"reach":"low","rows":[{"pattern":"9011*","blocked":false},{"pattern":"91*","blocked":false},{"pattern":"*"}]}]}`,
		[]string{"high_tier_allowed@T:0=9011252100000(SO fixed)", "high_tier_allowed@T:0=901137031000000(LT fixed)", "high_tier_allowed@T:0=901137120000000(LV mobile)",
			"high_tier_allowed@T:0=901138689100(SI premium_rate)", "high_tier_allowed@T:0=901139841000(IT shared_cost)", "high_tier_allowed@T:0=901153320000(CU fixed)",
			"high_tier_allowed@T:0=90118821600000(001 international_network)", "high_tier_allowed@T:1=915002000000(US personal)",
			"medium_tier_allowed@T:1=913100000(CA uan)", "nanp_international@T:1=912422250000(BS uan)"}},
	{"an allow row ahead of a premium block", `{` + usRegion + `"tables":[{"name":"T","max_digits":20,"reach":"high","rows":[{"pattern":"91*","blocked":false},{"pattern":"91900*"},{"pattern":"*"}]}]}`,
		[]string{"risky_block_shadowed@T:1=919002000000(US premium_rate)"}},
	{"the block first is clean", `{` + usRegion + `"tables":[{"name":"T","max_digits":20,"reach":"high","rows":[{"pattern":"91900*"},{"pattern":"91*","blocked":false},{"pattern":"*"}]}]}`, nil},
	{"tier overrides", `{` + usRegion + `"tiers":{"types":{"personal":"medium","premium_rate":"medium","uan":"low"},"countries":{"BB":"low","BS":"low"}},"tables":[{"name":"T","max_digits":20,"rows":[{"pattern":"9011*"},{"pattern":"90*"},{"pattern":"+*"},{"pattern":"91*","blocked":false},{"pattern":"*"}]}]}`,
		[]string{"nanp_international@T:3=912642350000(AI mobile)"}},
	{"GB premium rate", `{"region":{"country":"GB"},"tables":[{"name":"T","max_digits":20,"rows":[{"pattern":"900*"},{"pattern":"+*"},{"pattern":"90*","blocked":false},{"pattern":"*"}]}]}`,
		[]string{"high_tier_allowed@T:2=907000000000(GB personal)", "high_tier_allowed@T:2=908454640(GB premium_rate)"}},
	{"trunk twins close the second trunk", `{` + usRegion + `"trunk_access_codes":["8"],"tables":[{"name":"T","max_digits":20,"rows":[{"pattern":"9*"},{"pattern":"+*"},{"pattern":"8*","blocked":false},{"pattern":"*"}]}]}`, nil},
	{"the second trunk: trunk code then outside line", `{` + usRegion + `"trunk_access_codes":["8"],"tables":[{"name":"T","max_digits":20,"rows":[{"pattern":"8*","blocked":false},{"pattern":"9*"},{"pattern":"+*"},{"pattern":"*"}]}]}`,
		[]string{"high_tier_allowed@T:0=89011252100000(SO fixed)", "high_tier_allowed@T:0=8901137031000000(LT fixed)", "high_tier_allowed@T:0=8901137120000000(LV mobile)",
			"high_tier_allowed@T:0=8901139841000(IT shared_cost)", "high_tier_allowed@T:0=8901153320000(CU fixed)", "high_tier_allowed@T:0=890118821600000(001 international_network)",
			"high_tier_allowed@T:0=892469760000(BB premium_rate)", "high_tier_allowed@T:0=895002000000(US personal)",
			"nanp_international@T:0=892422250000(BS uan)", "risky_block_shadowed@T:1=892422250000(BS uan)"}},
}

func TestLintDestinations(t *testing.T) {
	for _, tc := range destLintTests {
		s, err := dialplan.ParseOptions("", []byte(tc.doc), destOpts(t))
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		fs := dialplan.Lint(s)
		checkExamples(t, s, fs)
		if got := destKeys(fs); !slices.Equal(got, tc.want) {
			t.Errorf("%s:\n got  %q\n want %q", tc.name, got, tc.want)
			for _, f := range fs {
				t.Logf("  %s %s row %d: %s", f.Severity, f.Code, f.Row, f.Message)
			}
		}
	}
}

// The built-in sets — the layout of Cisco's shipped tables (SAG Example
// 1) and the seed's best practices — linted for a US site with outside
// line 9.
func TestLintBuiltinsDestinations(t *testing.T) {
	for _, c := range []struct {
		doc  *dialplan.Document
		want []string // per transfer/outdial/fax table, prefixed by its name
	}{
		{dialplan.DefaultDocument(), []string{
			"high_tier_allowed:2=+252100000(SO fixed)", "high_tier_allowed:2=+37031000000(LT fixed)", "high_tier_allowed:2=+37120000000(LV mobile)",
			"high_tier_allowed:2=+38689100(SI premium_rate)", "high_tier_allowed:2=+39841000(IT shared_cost)", "high_tier_allowed:2=+53320000(CU fixed)",
			"high_tier_allowed:2=+8821600000(001 international_network)", "high_tier_allowed:2=95002000000(US personal)",
			"nanp_international:2=92422250000(BS uan)"}},
		{dialplan.RecommendedDocument(), []string{
			"high_tier_allowed:5=92469760000(BB premium_rate)", "high_tier_allowed:5=95002000000(US personal)",
			"nanp_international:5=92422250000(BS uan)"}},
	} {
		c.doc.Region = &dialplan.Region{Country: "US"}
		s, err := dialplan.CompileOptions("", c.doc, destOpts(t))
		if err != nil {
			t.Fatal(err)
		}
		fs := dialplan.Lint(s)
		checkExamples(t, s, fs)
		got := destKeys(fs)
		var want []string
		for _, tab := range s.Tables() {
			if strings.HasSuffix(tab.Name(), "System Transfer") {
				continue // blocks everything: nothing to report
			}
			for _, w := range c.want {
				code, rest, _ := strings.Cut(w, ":")
				want = append(want, code+"@"+tab.Name()+":"+rest)
			}
		}
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("%s:\n got  %q\n want %q", s.Tables()[0].Name(), got, want)
		}
	}
}

func TestRegionErrors(t *testing.T) {
	tables := `"tables":[{"name":"T","rows":[{"pattern":"*"}]}]`
	for _, c := range []struct{ doc, want string }{
		{`{"region":{},` + tables + `}`, "region.country: missing field"},
		{`{"region":{"country":"XX"},` + tables + `}`, `region.country: value out of range: "XX" is not a country`},
		{`{"region":{"country":"001"},` + tables + `}`, `region.country: value out of range: "001" is not a country`},
		{`{"region":{"country":"US","outside_line":"9"},` + tables + `}`, "region.outside_line: malformed document: unknown field; known fields here: country"},
		{`{"tiers":{"default":"high"},` + tables + `}`, "tiers: missing field: tiers need a region"},
		{`{"region":{"country":"US"},"tiers":{"types":{"premium":"high"}},` + tables + `}`, "tiers.types.premium: syntax error: unknown number type; known: unknown, fixed,"},
		{`{"region":{"country":"US"},"tiers":{"types":{"premium_rate":"severe"}},` + tables + `}`, `tiers.types.premium_rate: syntax error: "severe" (want low, medium, high)`},
		{`{"region":{"country":"US"},"tiers":{"countries":{"UK":"low"}},` + tables + `}`, "tiers.countries.UK: value out of range: not a country"},
		{`{"region":{"country":"US"},"tiers":{"default":"none"},` + tables + `}`, `tiers.default: syntax error: "none"`},
		{`{"region":{"country":"US"},"tiers":{"level":"none"},` + tables + `}`, "tiers.level: malformed document: unknown field; known fields here: types, countries, default"},
		{`{"tables":[{"name":"T","reach":"all","rows":[{"pattern":"*"}]}]}`, `table "T": reach: syntax error: "all" (want low, medium, high)`},
	} {
		_, err := dialplan.ParseOptions("site.json", []byte(c.doc), destOpts(t))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.doc, err, c.want)
		}
	}
}
