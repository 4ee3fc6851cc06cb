package dialplan

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// lintKeys renders findings as "code@table:row" (and ">by" for shadowing),
// sorted, for comparison.
func lintKeys(fs []Finding) []string {
	var out []string
	for _, f := range fs {
		k := fmt.Sprintf("%s@%s:%d", f.Code, f.Table, f.Row)
		if f.ShadowedBy >= 0 {
			k += fmt.Sprintf(">%d", f.ShadowedBy)
		}
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func rowsJSON(n int, pattern string) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, `{"pattern":%q},`, fmt.Sprintf(pattern, i))
	}
	return b.String()
}

// A clean prefix shared by the cases: blocks operator and international.
const safeRows = `{"pattern":"90*"},{"pattern":"+*"},`

var lintTests = []struct {
	name, doc string
	want      []string
}{
	{"clean", `{"tables":[{"name":"T","max_digits":20,"rows":[` + safeRows + `{"pattern":"*","blocked":true}]}]}`, nil},
	{"shadowed by one row", `{"tables":[{"name":"T","max_digits":20,"rows":[` + safeRows + `{"pattern":"8*"},{"pattern":"81*","blocked":false},{"pattern":"*"}]}]}`,
		[]string{"shadowed_row@T:3>2"}},
	{"shadowed by the union", `{"tables":[{"name":"R","dialect":"cucm","order":"first","max_digits":20,"rows":[{"pattern":"90X?"},{"pattern":"\\+X?"},{"pattern":"[0-4]X"},{"pattern":"[5-9]X"},{"pattern":"XX","blocked":false}]}]}`,
		[]string{"shadowed_row@R:4"}},
	{"not shadowed by prefix", `{"tables":[{"name":"T","max_digits":20,"rows":[` + safeRows + `{"pattern":"81*"},{"pattern":"8*","blocked":false},{"pattern":"*"}]}]}`, nil},
	{"never matches", `{"tables":[{"name":"T","max_digits":3,"rows":[` + safeRows + `{"pattern":"8888*"},{"pattern":"*"}]}]}`,
		[]string{"row_never_matches@T:2"}},
	{"defaults' holes", `{"tables":[{"name":"T","rows":[{"pattern":"91???????*"},{"pattern":"9011???????*"},{"pattern":"*","blocked":false}]}]}`,
		[]string{"final_row_allowed@T:2", "max_digits_large@T:-1", "no_international_block@T:-1", "no_operator_block@T:-1"}},
	{"international", `{"tables":[{"name":"T","max_digits":20,"rows":[{"pattern":"90"},{"pattern":"900*"},{"pattern":"+*"},{"pattern":"*","blocked":false}]}]}`,
		[]string{"final_row_allowed@T:3", "no_international_block@T:-1", "suffix_bypass@T:0"}},
	{"other outside code", `{"outside_line_codes":["8"],"tables":[{"name":"T","max_digits":20,"rows":[` + safeRows + `{"pattern":"*","blocked":false}]}]}`,
		[]string{"final_row_allowed@T:2", "no_international_block@T:-1", "no_operator_block@T:-1"}},
	{"trunk bypass", `{"trunk_access_codes":["8"],"tables":[{"name":"T","max_digits":20,"rows":[{"pattern":"8*","blocked":false},` + safeRows + `{"pattern":"*"}]}]}`,
		[]string{"trunk_code_bypass@T:3"}}, // "0" blocked by *, "80" allowed by 8*
	{"trunk twins close it", `{"trunk_access_codes":["8"],"tables":[{"name":"T","max_digits":20,"rows":[` + safeRows + `{"pattern":"7*","blocked":false},{"pattern":"*"}]}]}`, nil},
	{"suffix bypass", `{"tables":[{"name":"T","max_digits":20,"rows":[{"pattern":"90"},` + safeRows + `{"pattern":"9123"},{"pattern":"*","blocked":false}]}]}`,
		[]string{"final_row_allowed@T:4", "suffix_bypass@T:3"}},
	{"system transfer open", `{"tables":[{"name":"S","max_digits":20,"rows":[` + safeRows + `{"pattern":"????","blocked":false},{"pattern":"9*","blocked":false},{"pattern":"*"}]}],
		"classes_of_service":[{"name":"C","transfer":"S","outdial":"S","fax":"S","system_transfer":"S"}]}`,
		[]string{"system_transfer_open@S:-1"}},
	{"too long, too many", `{"tables":[{"name":"T","max_digits":20,"rows":[` + safeRows + rowsJSON(50, "8%02d") + `{"pattern":"7777777777777777777777777777777777777777777"},{"pattern":"*"}]}]}`,
		[]string{"pattern_too_long@T:52", "row_never_matches@T:52", "too_many_rows@T:-1"}},
	{"unused and regex", `{"tables":[{"name":"T","max_digits":20,"rows":[` + safeRows + `{"pattern":"*"}]},{"name":"K","dialect":"regex","max_digits":20,"rows":[{"pattern":"^9"}]}],
		"classes_of_service":[{"name":"C","transfer":"T"}]}`,
		[]string{"not_analyzed@K:-1", "table_unused@K:-1"}},
}

func TestLint(t *testing.T) {
	for _, tc := range lintTests {
		s, err := Parse("", []byte(tc.doc))
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		fs := Lint(s)
		if got := lintKeys(fs); !slices.Equal(got, tc.want) {
			t.Errorf("%s: Lint = %q, want %q", tc.name, got, tc.want)
			for _, f := range fs {
				t.Logf("  %s %s row %d: %s", f.Severity, f.Code, f.Row, f.Message)
			}
		}
	}
}

func TestLintBuiltins(t *testing.T) {
	def, _ := Builtin(SetDefault)
	var errs []string
	for _, f := range Lint(def) {
		if f.Severity == SevError {
			errs = append(errs, f.Code+"@"+f.Table)
		}
	}
	want := []string{"no_operator_block@Default Transfer", "no_operator_block@Default Outdial", "no_operator_block@Default Fax"}
	if !slices.Equal(errs, want) {
		t.Errorf("default set errors %q, want %q (FN20913's operator hole)", errs, want)
	}
	rec, _ := Builtin(SetRecommended)
	for _, f := range Lint(rec) {
		if f.Severity != SevWarning || f.Code != LintFinalRowAllowed {
			t.Errorf("recommended set: unexpected finding %s %s row %d: %s", f.Code, f.Table, f.Row, f.Message)
		}
	}
}
