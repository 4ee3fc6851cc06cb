package dialplan

import (
	"errors"
	"math/rand/v2"
	"regexp"
	"testing"
)

var parseTests = []struct {
	dialect, pattern, dump string
}{
	{DialectCUC, "91???????*", "91........*"},
	{DialectCUC, "*#??", ".*#.."},
	{DialectCUC, "+*", "+.*"},
	{DialectCUCM, "91XX", "91XX"},
	{DialectCUCM, "9.1!", "91XX*"},
	{DialectCUCM, "91X?", "91X*"},
	{DialectCUCM, "91X+", "91XX*"},
	{DialectCUCM, "[0-5]", "[012345]"},
	{DialectCUCM, "[^0-5]", "[6789]"},
	{DialectCUCM, `\+1!`, "+1XX*"},
	{DialectCUCM, "*411", "*411"},
	{DialectCUCM, "901181910555#", "901181910555#"},
	{DialectAsterisk, "_NXX-XXXX", "[23456789]XXXXXX"},
	{DialectAsterisk, "_1Z.", "1[123456789]..*"},
	{DialectAsterisk, "_9!", "9.*"},
	{DialectAsterisk, "_9[]5[0-5]", "95[012345]"},
	{DialectAsterisk, "100", "100"},
	{DialectAsterisk, "555-1234", "5551234"},
	{DialectExchange, "91425xxxxxxx", "91425XXXXXXX"},
	{DialectExchange, "*", ".*"},
}

func TestParsePatterns(t *testing.T) {
	for _, tc := range parseTests {
		es, err := parsePattern(tc.dialect, tc.pattern)
		if err != nil {
			t.Errorf("parse %s %q: %v", tc.dialect, tc.pattern, err)
			continue
		}
		if got := dump(es); got != tc.dump {
			t.Errorf("parse %s %q = %q, want %q", tc.dialect, tc.pattern, got, tc.dump)
		}
	}
}

var badPatterns = []struct {
	dialect, pattern string
	col              int
	err              error
}{
	{DialectCUC, "9a1", 2, ErrSyntax},
	{DialectCUC, "abc*@dummy.com", 1, ErrSyntax},
	{DialectCUC, "9*@x", 3, ErrUnsupported},
	{DialectCUCM, "9.@", 3, ErrUnsupported},
	{DialectCUCM, "9#1", 2, ErrSyntax},
	{DialectCUCM, "9..1", 3, ErrSyntax},
	{DialectCUCM, "?1", 1, ErrSyntax},
	{DialectCUCM, "9[1", 2, ErrSyntax},
	{DialectCUCM, "9[^1][^2]", 7, ErrSyntax},
	{DialectCUCM, "9[5-1]", 4, ErrSyntax},
	{DialectCUCM, `9\1`, 2, ErrSyntax},
	{DialectCUCM, "!?", 2, ErrSyntax},
	{DialectAsterisk, "_9.1", 3, ErrSyntax},
	{DialectAsterisk, "_9/123", 3, ErrUnsupported},
	{DialectExchange, "9*", 2, ErrSyntax},
	{DialectExchange, "9-1", 2, ErrSyntax},
}

func TestParseErrors(t *testing.T) {
	for _, tc := range badPatterns {
		_, err := parsePattern(tc.dialect, tc.pattern)
		if err == nil {
			t.Errorf("parse %s %q: no error, want column %d %v", tc.dialect, tc.pattern, tc.col, tc.err)
			continue
		}
		if err.col != tc.col || !errors.Is(err.err, tc.err) {
			t.Errorf("parse %s %q: column %d %v (%s), want column %d %v", tc.dialect, tc.pattern, err.col, err.err, err.msg, tc.col, tc.err)
		}
	}
}

// Documents that must fail, with the position the error gives.
var badDocs = []struct {
	name, doc   string
	table       string
	row, column int
	field       string
	err         error
}{
	{"unknown field", `{"tables":[{"name":"T","rows":[{"pattern":"*"}]}],"x":1}`, "", -1, 0, "x", ErrDecode},
	{"unknown row field", `{"tables":[{"name":"T","rows":[{"pattern":"*","blockd":true}]}]}`, "", -1, 0, "tables[0].rows[0].blockd", ErrDecode},
	{"wrong type", `{"tables":[{"name":"T","max_digits":"40","rows":[{"pattern":"*"}]}]}`, "", -1, 0, "tables[0].max_digits", ErrDecode},
	{"repeated field", `{"tables":[{"name":"T","name":"U","rows":[{"pattern":"*"}]}]}`, "", -1, 0, "tables[0].name", ErrDecode},
	{"trailing bracket", `{"tables":[{"name":"T","rows":[{"pattern":"*"}]}]}]`, "", -1, 0, "", ErrDecode},
	{"no tables", `{"tables":[]}`, "", -1, 0, "tables", ErrMissing},
	{"bad dialect", `{"tables":[{"name":"T","dialect":"sip","rows":[{"pattern":"*"}]}]}`, "T", -1, 0, "dialect", ErrDialect},
	{"max over 300", `{"tables":[{"name":"T","max_digits":301,"rows":[{"pattern":"*"}]}]}`, "T", -1, 0, "max_digits", ErrRange},
	{"min above max", `{"tables":[{"name":"T","min_digits":9,"max_digits":5,"rows":[{"pattern":"*"}]}]}`, "T", -1, 0, "min_digits", ErrRange},
	{"cuc last row", `{"tables":[{"name":"T","rows":[{"pattern":"9*"}]}]}`, "T", 0, 0, "rows", ErrLastRow},
	{"cuc bad char", `{"tables":[{"name":"T","rows":[{"pattern":"9x1"},{"pattern":"*"}]}]}`, "T", 0, 2, "rows[0].pattern", ErrSyntax},
	{"cucm @", `{"tables":[{"name":"R","dialect":"cucm","rows":[{"pattern":"9XX"},{"pattern":"9.@"}]}]}`, "R", 1, 3, "rows[1].pattern", ErrUnsupported},
	{"closest on cuc", `{"tables":[{"name":"T","order":"closest","rows":[{"pattern":"*"}]}]}`, "T", -1, 0, "order", ErrUnsupported},
	{"exchange blocked", `{"tables":[{"name":"E","dialect":"exchange","rows":[{"pattern":"9xxx","blocked":true}]}]}`, "E", 0, 0, "rows[0].blocked", ErrUnsupported},
	{"bad regex", `{"tables":[{"name":"K","dialect":"regex","rows":[{"pattern":"^(9"}]}]}`, "K", 0, 0, "rows[0].pattern", ErrSyntax},
	{"duplicate table", `{"tables":[{"name":"T","rows":[{"pattern":"*"}]},{"name":"T","rows":[{"pattern":"*"}]}]}`, "T", -1, 0, "name", ErrDuplicate},
	{"cos unknown table", `{"tables":[{"name":"T","rows":[{"pattern":"*"}]}],"classes_of_service":[{"name":"C","fax":"F"}]}`, "", -1, 0, "classes_of_service[0].fax", ErrUnknownTable},
	{"bad trunk code", `{"trunk_access_codes":["9a"],"tables":[{"name":"T","rows":[{"pattern":"*"}]}]}`, "", -1, 0, "trunk_access_codes[0]", ErrSyntax},
	{"explosion", `{"tables":[{"name":"T","dialect":"cucm","order":"first","rows":[` + explosive() + `]}]}`, "T", -1, 0, "rows", ErrTooComplex},
}

// explosive builds rows whose automaton needs more than MaxStates states:
// "!1XXXXXXXXXXXXXXXXXXXX" remembers the last 21 digits it saw.
func explosive() string {
	return `{"pattern":"!1XXXXXXXXXXXXXXXXXXXX"}`
}

func TestDocumentErrors(t *testing.T) {
	defer func(n int) { maxStates = n }(maxStates)
	maxStates = 5000 // the explosive row needs 2^21 states; fail fast
	for _, tc := range badDocs {
		_, err := Parse("tables.json", []byte(tc.doc))
		var pe *ParseError
		if !errors.As(err, &pe) {
			t.Errorf("%s: error %v, want a *ParseError", tc.name, err)
			continue
		}
		if pe.Table != tc.table || pe.Row != tc.row || pe.Column != tc.column || pe.Field != tc.field || !errors.Is(err, tc.err) || pe.Path != "tables.json" {
			t.Errorf("%s: got table %q row %d column %d field %q (%v), want %q %d %d %q %v", tc.name,
				pe.Table, pe.Row, pe.Column, pe.Field, err, tc.table, tc.row, tc.column, tc.field, tc.err)
		}
	}
}

func mustParse(t testing.TB, doc string) *Set {
	t.Helper()
	s, err := Parse("", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// Dialect semantics on whole tables.
func TestDialectMatching(t *testing.T) {
	tests := []struct {
		doc     string
		number  string
		allowed bool
		reason  Reason
		row     int32
	}{
		// cuc: anchored at both ends, first match wins, # and + literal.
		{`{"tables":[{"name":"T","rows":[{"pattern":"9??"},{"pattern":"*","blocked":false}]}]}`, "9123", true, ReasonMatched, 1},
		{`{"tables":[{"name":"T","rows":[{"pattern":"9??"},{"pattern":"*","blocked":false}]}]}`, "912", false, ReasonMatched, 0},
		{`{"tables":[{"name":"T","rows":[{"pattern":"*#"},{"pattern":"*","blocked":false}]}]}`, "123#", false, ReasonMatched, 0},
		{`{"tables":[{"name":"T","min_digits":4,"max_digits":5,"rows":[{"pattern":"*","blocked":false}]}]}`, "123", false, ReasonTooShort, -1},
		{`{"tables":[{"name":"T","min_digits":4,"max_digits":5,"rows":[{"pattern":"*","blocked":false}]}]}`, "123456", false, ReasonTooLong, -1},
		// cucm closest match: 15! beats 1[3-5]XX for 1515 whatever the order.
		{`{"tables":[{"name":"R","dialect":"cucm","rows":[{"pattern":"1[3-5]XX","blocked":false},{"pattern":"15!"}]}]}`, "1515", false, ReasonMatched, 1},
		{`{"tables":[{"name":"R","dialect":"cucm","order":"first","rows":[{"pattern":"1[3-5]XX","blocked":false},{"pattern":"15!"}]}]}`, "1515", true, ReasonMatched, 0},
		{`{"tables":[{"name":"R","dialect":"cucm","rows":[{"pattern":"1[3-5]XX","blocked":false},{"pattern":"15!"}]}]}`, "1415", true, ReasonMatched, 0},
		{`{"tables":[{"name":"R","dialect":"cucm","rows":[{"pattern":"9.1XXX"}]}]}`, "92000", false, ReasonNoMatch, -1},
		{`{"tables":[{"name":"R","dialect":"cucm","no_match":"allowed","rows":[{"pattern":"9.1XXX"}]}]}`, "92000", true, ReasonNoMatch, -1},
		{`{"tables":[{"name":"R","dialect":"cucm","rows":[{"pattern":"\\+!","blocked":false}]}]}`, "+4420", true, ReasonMatched, 0},
		// asterisk: - ignored in pattern and number.
		{`{"tables":[{"name":"A","dialect":"asterisk","rows":[{"pattern":"_NXX-XXXX","blocked":false}]}]}`, "555-1234", true, ReasonMatched, 0},
		{`{"tables":[{"name":"A","dialect":"asterisk","rows":[{"pattern":"_NXX-XXXX","blocked":false}]}]}`, "155-1234", false, ReasonNoMatch, -1},
		// exchange: an allow-list.
		{`{"tables":[{"name":"E","dialect":"exchange","rows":[{"pattern":"91425xxxxxxx"}]}]}`, "914255550100", true, ReasonMatched, 0},
		{`{"tables":[{"name":"E","dialect":"exchange","rows":[{"pattern":"91425xxxxxxx"}]}]}`, "914265550100", false, ReasonNoMatch, -1},
		// regex: anchoring is the pattern's own; regex rows keep their place.
		{`{"tables":[{"name":"K","dialect":"regex","rows":[{"pattern":"^9011"},{"pattern":".","blocked":false}]}]}`, "9011441", false, ReasonMatched, 0},
		{`{"tables":[{"name":"K","dialect":"regex","rows":[{"pattern":"9011"},{"pattern":".","blocked":false}]}]}`, "89011", false, ReasonMatched, 0},
		{`{"tables":[{"name":"M","rows":[{"pattern":"91*","blocked":false},{"pattern":"^9","dialect":"regex"},{"pattern":"*","blocked":false}]}]}`, "9222", false, ReasonMatched, 1},
		{`{"tables":[{"name":"M","rows":[{"pattern":"91*","blocked":false},{"pattern":"^9","dialect":"regex"},{"pattern":"*","blocked":false}]}]}`, "9122", true, ReasonMatched, 0},
		{`{"tables":[{"name":"M","rows":[{"pattern":"91*","blocked":false},{"pattern":"^9","dialect":"regex"},{"pattern":"*","blocked":false}]}]}`, "822", true, ReasonMatched, 2},
		// trunk twin of a regex row.
		{`{"trunk_access_codes":["8"],"tables":[{"name":"K","dialect":"regex","rows":[{"pattern":"^900"},{"pattern":"","blocked":false}]}]}`, "8900", false, ReasonMatched, 0},
		// normalization.
		{`{"tables":[{"name":"T","rows":[{"pattern":"*","blocked":false}]}]}`, "(408) 555.0100", true, ReasonMatched, 0},
		{`{"tables":[{"name":"T","rows":[{"pattern":"*","blocked":false}]}]}`, "1-800-FLOWERS", false, ReasonInvalid, -1},
	}
	for _, tc := range tests {
		s := mustParse(t, tc.doc)
		tab := s.Tables()[0]
		r := tab.MatchString(tc.number)
		if r.Allowed != tc.allowed || r.Reason != tc.reason || r.Row != tc.row {
			t.Errorf("%s\nMatch(%q) = %v %s row %d, want %v %s row %d", tc.doc, tc.number, r.Allowed, r.Reason, r.Row, tc.allowed, tc.reason, tc.row)
		}
	}
}

// Closest match against brute force: count, by enumeration, the numbers of
// the dialed length each matching row accepts.
func TestClosestVsBruteForce(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	var all [4][]string // every string over the 13 keys, by length
	all[0] = []string{""}
	for n := 1; n < 4; n++ {
		for _, p := range all[n-1] {
			for _, c := range symByte {
				all[n] = append(all[n], p+string(c))
			}
		}
	}
	vocab := []string{"1", "9", "X", "!", "[0-2]", "[^1]", "X?", "9+", "*"}
	for iter := 0; iter < 200; iter++ {
		td := TableDoc{Name: "R", Dialect: DialectCUCM, MaxDigits: 3}
		var res []*regexp.Regexp
		for i := 1 + r.IntN(5); i > 0; i-- {
			p := ""
			for k := 1 + r.IntN(3); k > 0; k-- {
				p += vocab[r.IntN(len(vocab))]
			}
			td.Rows = append(td.Rows, RowDoc{Pattern: p})
			res = append(res, regexp.MustCompile("^(?:"+refRegexp(DialectCUCM, p)+")$"))
		}
		s, err := Compile("", &Document{Tables: []TableDoc{td}})
		if errors.Is(err, ErrSyntax) {
			continue
		} else if err != nil {
			t.Fatal(err)
		}
		tab := s.Tables()[0]
		for n := 1; n <= 3; n++ {
			counts := make([]int, len(res))
			for i, re := range res {
				for _, x := range all[n] {
					if re.MatchString(x) {
						counts[i]++
					}
				}
			}
			for _, x := range all[n] {
				want := int32(-1)
				for i, re := range res {
					if re.MatchString(x) && (want < 0 || counts[i] < counts[want]) {
						want = int32(i)
					}
				}
				if got := tab.MatchString(x); got.Row != want {
					t.Fatalf("%+v: Match(%q) row %d, want %d (counts %v)", td.Rows, x, got.Row, want, counts)
				}
			}
		}
	}
}

func TestMatchNoAlloc(t *testing.T) {
	s := mustParse(t, `{"trunk_access_codes":["99"],"tables":[{"name":"T","rows":[
		{"pattern":"900*"},{"pattern":"91???????*"},{"pattern":"9011*"},{"pattern":"*","blocked":false}]},
		{"name":"R","dialect":"cucm","rows":[{"pattern":"1[3-5]XX","blocked":false},{"pattern":"15!"}]}]}`)
	numbers := [][]byte{[]byte("9 011 44 20 7946 0000"), []byte("1515"), []byte("99900"), []byte("12a"), []byte("")}
	out := make([]Result, len(numbers))
	for _, tab := range s.Tables() {
		allocs := testing.AllocsPerRun(200, func() {
			for _, n := range numbers {
				_ = tab.Match(n)
			}
			tab.MatchBatch(numbers, out)
			tab.MatchLines([]byte("9123\n900\r\n"), out)
		})
		if allocs != 0 {
			t.Errorf("%s: Match allocates %v times per run, want 0", tab.Name(), allocs)
		}
	}
	var buf [64]byte
	allocs := testing.AllocsPerRun(200, func() { Normalize(buf[:0], numbers[0]) })
	if allocs != 0 {
		t.Errorf("Normalize allocates %v times, want 0", allocs)
	}
}

// Limits hold at their edge: the last valid value compiles, the next fails.
func TestLimitsAtTheEdge(t *testing.T) {
	long := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = '9'
		}
		return string(b)
	}
	tests := []struct {
		doc string
		err error
	}{
		{`{"tables":[{"name":"T","max_digits":300,"rows":[{"pattern":"*"}]}]}`, nil},
		{`{"tables":[{"name":"T","max_digits":301,"rows":[{"pattern":"*"}]}]}`, ErrRange},
		{`{"tables":[{"name":"T","min_digits":300,"max_digits":300,"rows":[{"pattern":"*"}]}]}`, nil},
		{`{"tables":[{"name":"T","rows":[{"pattern":"` + long(MaxPatternLength) + `"},{"pattern":"*"}]}]}`, nil},
		{`{"tables":[{"name":"T","rows":[{"pattern":"` + long(MaxPatternLength+1) + `"},{"pattern":"*"}]}]}`, ErrRange},
		{`{"trunk_access_codes":["` + long(16) + `"],"tables":[{"name":"T","rows":[{"pattern":"*"}]}]}`, nil},
		{`{"trunk_access_codes":["` + long(17) + `"],"tables":[{"name":"T","rows":[{"pattern":"*"}]}]}`, ErrSyntax},
	}
	for i, tc := range tests {
		_, err := Parse("", []byte(tc.doc))
		if (tc.err == nil) != (err == nil) || (tc.err != nil && !errors.Is(err, tc.err)) {
			t.Errorf("case %d: error %v, want %v", i, err, tc.err)
		}
	}
	// A 300-key number is matched, a 301-key one is too long.
	s := mustParse(t, `{"tables":[{"name":"T","max_digits":300,"rows":[{"pattern":"*","blocked":false}]}]}`)
	if r := s.Tables()[0].MatchString(long(300)); !r.Allowed {
		t.Errorf("300 keys: %v", r.Reason)
	}
	if r := s.Tables()[0].MatchString(long(301)); r.Reason != ReasonTooLong {
		t.Errorf("301 keys: %v, want too_long", r.Reason)
	}
}
