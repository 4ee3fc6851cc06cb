package dialplan

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
)

// refTable is the straightforward reference: each row (and each trunk
// twin) translated from its text to a Go regexp, tried in order.
type refTable struct {
	min, max int
	noMatch  bool // allowed when nothing matches
	rows     []refRow
}

type refRow struct {
	alts    []*regexp.Regexp // alt 0 the row, then one per trunk code
	blocked bool
}

const anyKey = `[0-9*#+]`

// refRegexp translates a pattern of a non-regex dialect to Go regexp
// syntax, independently of parsePattern. It assumes a valid pattern.
func refRegexp(dialect, p string) string {
	var b strings.Builder
	switch dialect {
	case DialectCUC:
		for _, c := range p {
			switch c {
			case '*':
				b.WriteString(anyKey + "*")
			case '?':
				b.WriteString(anyKey)
			default:
				b.WriteString(regexp.QuoteMeta(string(c)))
			}
		}
	case DialectExchange:
		if p == "*" {
			return anyKey + "*"
		}
		b.WriteString(strings.NewReplacer("x", "[0-9]", "X", "[0-9]").Replace(p))
	case DialectCUCM:
		for i := 0; i < len(p); i++ {
			switch c := p[i]; c {
			case 'X', 'x':
				b.WriteString("[0-9]")
			case '!':
				b.WriteString("[0-9]+")
			case '?':
				b.WriteString("*")
			case '+':
				b.WriteString("+")
			case '.':
			case '\\':
				b.WriteString(`\+`)
				i++
			case '[':
				j := strings.IndexByte(p[i:], ']') + i
				body := p[i+1 : j]
				neg := strings.HasPrefix(body, "^")
				body = strings.TrimPrefix(body, "^")
				in := map[byte]bool{}
				for k := 0; k < len(body); k++ {
					if k+2 < len(body) && body[k+1] == '-' {
						for x := body[k]; x <= body[k+2]; x++ {
							in[x] = true
						}
						k += 2
					} else {
						in[body[k]] = true
					}
				}
				b.WriteString("[")
				for x := byte('0'); x <= '9'; x++ {
					if in[x] != neg {
						b.WriteByte(x)
					}
				}
				b.WriteString("]")
				i = j
			default:
				b.WriteString(regexp.QuoteMeta(string(c)))
			}
		}
	case DialectAsterisk:
		if !strings.HasPrefix(p, "_") {
			return regexp.QuoteMeta(strings.ReplaceAll(p, "-", ""))
		}
		for i := 1; i < len(p); i++ {
			switch c := p[i]; c {
			case '-':
			case 'X', 'x':
				b.WriteString("[0-9]")
			case 'Z', 'z':
				b.WriteString("[1-9]")
			case 'N', 'n':
				b.WriteString("[2-9]")
			case '.':
				b.WriteString(anyKey + "+")
			case '!':
				b.WriteString(anyKey + "*")
			case '[':
				j := strings.IndexByte(p[i:], ']') + i
				if j > i+1 {
					b.WriteString("[" + strings.NewReplacer(`\`, `\\`, "^", `\^`).Replace(p[i+1:j]) + "]")
				}
				i = j
			default:
				b.WriteString(regexp.QuoteMeta(string(c)))
			}
		}
	}
	return b.String()
}

func newRef(d *Document, td *TableDoc) *refTable {
	rt := &refTable{min: max(td.MinDigits, 1), max: td.MaxDigits, noMatch: td.NoMatch == "allowed"}
	if rt.max == 0 {
		rt.max = 40
	}
	dialect := td.Dialect
	if dialect == "" {
		dialect = DialectCUC
	}
	for _, r := range td.Rows {
		blocked := r.Blocked == nil || *r.Blocked
		if dialect == DialectExchange {
			blocked = false
		}
		body := refRegexp(dialect, r.Pattern)
		row := refRow{blocked: blocked, alts: []*regexp.Regexp{regexp.MustCompile("^(?:" + body + ")$")}}
		if blocked {
			for _, c := range d.TrunkAccessCodes {
				row.alts = append(row.alts, regexp.MustCompile("^"+regexp.QuoteMeta(c)+"(?:"+body+")$"))
			}
		}
		rt.rows = append(rt.rows, row)
	}
	return rt
}

func (rt *refTable) match(number string) (allowed bool, reason Reason, row, alt int) {
	var norm []byte
	for i := 0; i < len(number); i++ {
		switch c := number[i]; {
		case c >= '0' && c <= '9', c == '*', c == '#', c == '+':
			norm = append(norm, c)
		case strings.IndexByte(" -().\t", c) >= 0:
		default:
			return false, ReasonInvalid, -1, 0
		}
	}
	if len(norm) < rt.min {
		return false, ReasonTooShort, -1, 0
	}
	if len(norm) > rt.max {
		return false, ReasonTooLong, -1, 0
	}
	for i, r := range rt.rows {
		for k, re := range r.alts {
			if re.Match(norm) {
				return !r.blocked, ReasonMatched, i, k
			}
		}
	}
	return rt.noMatch, ReasonNoMatch, -1, 0
}

// genTable builds a random table from r: patterns drawn from each dialect's
// own vocabulary (some invalid, which must fail with a ParseError).
func genTable(r *rand.Rand) *Document {
	dialects := []string{DialectCUC, DialectCUCM, DialectAsterisk, DialectExchange}
	td := TableDoc{Name: "T", Dialect: dialects[r.IntN(len(dialects))], MinDigits: 1 + r.IntN(3), MaxDigits: 3 + r.IntN(10)}
	if r.IntN(2) == 0 && td.Dialect != DialectCUC && td.Dialect != DialectExchange {
		td.NoMatch = "allowed"
	}
	if td.Dialect == DialectCUCM {
		td.Order = "first"
	}
	vocab := map[string][]string{
		DialectCUC:      {"0", "1", "9", "9", "*", "?", "?", "#", "+"},
		DialectCUCM:     {"0", "1", "9", "X", "!", "[0-2]", "[^1]", "X?", "9+", `\+`, "*", "."},
		DialectAsterisk: {"0", "1", "9", "X", "Z", "N", "[0-2]", "[]", "-", "a"},
		DialectExchange: {"0", "1", "9", "x", "x", "x"},
	}[td.Dialect]
	nrows := 1 + r.IntN(8)
	for i := 0; i < nrows; i++ {
		var p strings.Builder
		if td.Dialect == DialectAsterisk && r.IntN(5) > 0 {
			p.WriteString("_")
		}
		for k := r.IntN(6) + 1; k > 0; k-- {
			p.WriteString(vocab[r.IntN(len(vocab))])
		}
		switch {
		case td.Dialect == DialectAsterisk && r.IntN(3) == 0:
			p.WriteString([]string{".", "!"}[r.IntN(2)])
		case td.Dialect == DialectCUCM && r.IntN(5) == 0:
			p.WriteString("#")
		case td.Dialect == DialectExchange && r.IntN(6) == 0:
			p.Reset()
			p.WriteString("*")
		}
		blocked := r.IntN(2) == 0
		td.Rows = append(td.Rows, RowDoc{Pattern: p.String(), Blocked: &blocked})
	}
	if td.Dialect == DialectCUC {
		blocked := r.IntN(2) == 0
		td.Rows = append(td.Rows, RowDoc{Pattern: "*", Blocked: &blocked})
	}
	if td.Dialect == DialectExchange {
		for i := range td.Rows {
			td.Rows[i].Blocked = nil
		}
	}
	d := &Document{Tables: []TableDoc{td}}
	switch r.IntN(3) {
	case 1:
		d.TrunkAccessCodes = []string{"9"}
	case 2:
		d.TrunkAccessCodes = []string{"99", "8"}
	}
	return d
}

func genNumber(r *rand.Rand) string {
	const keys = "0129*#+0199"
	var b []byte
	for k := r.IntN(14); k > 0; k-- {
		switch r.IntN(40) {
		case 0:
			b = append(b, '-')
		case 1:
			b = append(b, 'a')
		default:
			b = append(b, keys[r.IntN(len(keys))])
		}
	}
	return string(b)
}

// checkAgainstReference compiles d and compares Match with the reference on
// numbers; a table that does not compile must fail with a *ParseError.
// checkAgainstReference compares the matcher with the reference on every
// number and returns the results (none when d does not compile, which is
// fine for a random table: its error must be a *ParseError).
func checkAgainstReference(t *testing.T, d *Document, numbers []string) []Result {
	t.Helper()
	s, err := Compile("", d)
	if err != nil {
		var pe *ParseError
		if !errors.As(err, &pe) {
			t.Fatalf("Compile error is %T, want *ParseError: %v", err, err)
		}
		return nil
	}
	var out []Result
	tab := s.Tables()[0]
	ref := newRef(d, &d.Tables[0])
	for _, n := range numbers {
		got := tab.MatchString(n)
		allowed, reason, row, alt := ref.match(n)
		if got.Allowed != allowed || got.Reason != reason || int(got.Row) != row || int(got.Alt) != alt {
			t.Fatalf("table %s\nMatch(%q) = allowed %v %s row %d alt %d; reference: allowed %v %s row %d alt %d",
				describe(d), n, got.Allowed, got.Reason, got.Row, got.Alt, allowed, reason, row, alt)
		}
		out = append(out, got)
	}
	return out
}

func describe(d *Document) string {
	td := d.Tables[0]
	var b strings.Builder
	fmt.Fprintf(&b, "%s min %d max %d no_match %q trunk %q:", td.Dialect, td.MinDigits, td.MaxDigits, td.NoMatch, d.TrunkAccessCodes)
	for i, r := range td.Rows {
		fmt.Fprintf(&b, "\n  %d %q blocked=%v", i, r.Pattern, r.Blocked == nil || *r.Blocked)
	}
	return b.String()
}

func TestMatcherVsReferenceRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	compiled := 0
	seen := map[string]int{} // outcome → count
	for i := 0; i < 3000; i++ {
		d := genTable(r)
		nums := make([]string, 60)
		for k := range nums {
			nums[k] = genNumber(r)
		}
		res := checkAgainstReference(t, d, nums)
		if res != nil {
			compiled++
		}
		for _, x := range res {
			seen[fmt.Sprintf("%s allowed=%v twin=%v", x.Reason, x.Allowed, x.Alt > 0)]++
		}
	}
	// Random tables that mostly fail to compile, or numbers that all end
	// alike, would make the agreement above say little.
	t.Logf("%d of 3000 tables compiled; outcomes %v", compiled, seen)
	if compiled < 1500 {
		t.Errorf("only %d of 3000 random tables compiled", compiled)
	}
	for _, want := range []string{"matched allowed=true twin=false", "matched allowed=false twin=false", "matched allowed=false twin=true",
		"too_short allowed=false twin=false", "too_long allowed=false twin=false", "invalid allowed=false twin=false", "no_match allowed=false twin=false", "no_match allowed=true twin=false"} {
		if seen[want] < 20 {
			t.Errorf("outcome %q seen %d times", want, seen[want])
		}
	}
}

// FuzzMatcherVsReference: the compiled matcher must agree with the
// reference on random tables (derived from two seeds) and numbers.
func FuzzMatcherVsReference(f *testing.F) {
	f.Add(uint64(1), uint64(2), "9011441234")
	f.Add(uint64(7), uint64(3), "99900")
	f.Add(uint64(42), uint64(0), "*#+1-2 3")
	f.Fuzz(func(t *testing.T, s1, s2 uint64, number string) {
		r := rand.New(rand.NewPCG(s1, s2))
		d := genTable(r)
		nums := []string{number}
		for k := 0; k < 20; k++ {
			nums = append(nums, genNumber(r))
		}
		checkAgainstReference(t, d, nums)
	})
}
