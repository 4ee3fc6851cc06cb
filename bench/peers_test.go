package bench

import (
	"fmt"
	"strings"
	"testing"

	zxcvbn "github.com/ccojocar/zxcvbn-go"
	validator "github.com/wagslane/go-password-validator"

	"github.com/tollgate/tollgate/core"
)

// The inputs every checker gets: the same PINs and passwords as the core
// benchmarks, and one user context (zxcvbn takes it as user inputs).
var (
	pins      = []string{"739164", "408408", "28883", "012345", "2580", "627436", "251290", "90471136", "1234", "36697"}
	pinCtx    = core.PINContext{Extensions: []string{"36697", "4711"}, FirstName: "Zoë", LastName: "O'Brien", DateOfBirth: "1990-07-04", Year: 2026}
	passwords = []string{"Tr0ub4dor&3xyz!", "!Cooool", "abcdef", "Xjsmith1!", "password", "Summer 2024 in Oslo", "correct horse battery staple", "Pw1!36697x"}
	pwCtx     = core.PasswordContext{Alias: "jsmith", Extensions: []string{"36697"}, Breached: breached}
	userIn    = []string{"jsmith", "36697", "4711", "Zoë", "O'Brien", "1990-07-04"}
)

// minEntropy is the threshold go-password-validator's README suggests.
const minEntropy = 60

func profile(tb testing.TB, name string) *core.Policy {
	p, err := core.Profile(name)
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

var sinkInt int

func BenchmarkPIN(b *testing.B) {
	for _, name := range []string{"cuc", "nist-800-63b-4"} {
		p := profile(b, name)
		b.Run("tollgate-"+name, func(b *testing.B) {
			b.ReportAllocs()
			var v core.Verdict
			for i := 0; b.Loop(); i++ {
				p.CheckPIN(pins[i%len(pins)], &pinCtx, &v)
				sinkInt += len(v.Reasons)
			}
		})
	}
	b.Run("zxcvbn-go", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			sinkInt += zxcvbn.PasswordStrength(pins[i%len(pins)], userIn).Score
		}
	})
	b.Run("go-password-validator", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			if validator.Validate(pins[i%len(pins)], minEntropy) != nil {
				sinkInt++
			}
		}
	})
}

func BenchmarkPassword(b *testing.B) {
	for _, name := range []string{"cuc", "cuc-esm", "nist-800-63b-4"} {
		p := profile(b, name)
		b.Run("tollgate-"+name, func(b *testing.B) {
			b.ReportAllocs()
			var v core.Verdict
			for i := 0; b.Loop(); i++ {
				p.CheckPassword(passwords[i%len(passwords)], &pwCtx, &v)
				sinkInt += len(v.Reasons)
			}
		})
	}
	b.Run("zxcvbn-go", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			sinkInt += zxcvbn.PasswordStrength(passwords[i%len(passwords)], userIn).Score
		}
	})
	b.Run("go-password-validator", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			if validator.Validate(passwords[i%len(passwords)], minEntropy) != nil {
				sinkInt++
			}
		}
	})
}

// A seed example and a control input of the same length and character
// classes without the pattern: a checker detects the example only when it
// tells the two apart (a password control may still be refused for its
// length or classes, which the example shares).
type example struct {
	input, control string
	password       bool
	policy         string
	ctx            string // "ext" gives the extension 36697, "alias" the alias jsmith
}

var examples = []example{
	{"28883", "28493", false, "cuc", ""},
	{"408408", "408719", false, "cuc", ""},
	{"123123", "157362", false, "cuc", ""},
	{"121212", "739164", false, "cuc", ""},
	{"012345", "739164", false, "cuc", ""},
	{"987654", "739164", false, "cuc", ""},
	{"2580", "2947", false, "cuc", ""},
	{"159", "386", false, "cuc", ""},
	{"753", "386", false, "cuc", ""},
	{"123", "386", false, "cuc", ""},
	{"6697", "3918", false, "exchange-um", "ext"},
	{"136697", "139148", false, "cuc", "ext"},
	{"796639", "791349", false, "cuc", "ext"},
	{"627436", "739164", false, "cuc", "name"},
	{"1234", "2947", false, "exchange-um", ""},
	{"65432", "64829", false, "exchange-um", ""},
	{"11111", "38291", false, "exchange-um", ""},
	{"251290", "739164", false, "nist-800-63b-4", ""},
	{"471990", "739164", false, "nist-800-63b-4", "dob"},
	{"!Cooool", "!Cboxql", true, "cuc", ""},
	{"abcdef", "qmzrwu", true, "cuc", ""},
	{"fedcba", "qmzrwu", true, "cuc", ""},
	{"654321", "739164", true, "cuc", ""},
	{"Xjsmith1!", "Xkqvrtb1!", true, "cuc", "alias"},
	{"Ahtimsj9!", "Akqvrtb9!", true, "cuc", "alias"},
	{"Pw1!36697x", "Pw1!39148x", true, "cuc", "ext"},
	{"password", "qmzrwuvk", true, "nist-800-63b-4", ""},
}

// zxcvbnPatterns lists the non-brute-force patterns zxcvbn found.
func zxcvbnPatterns(s string) (string, int, float64) {
	r := zxcvbn.PasswordStrength(s, userIn)
	var ps []string
	for _, m := range r.MatchSequence {
		if m.Pattern != "bruteforce" {
			ps = append(ps, m.Pattern)
		}
	}
	return strings.Join(ps, "+"), r.Score, r.Entropy
}

// TestDetection checks that tollgate refuses every seed example for a
// reason its control does not draw, and prints, as a Markdown table, what the peers make
// of the same pairs (docs/performance.md quotes it).
func TestDetection(t *testing.T) {
	var tab strings.Builder
	tab.WriteString("| input | profile | tollgate (codes the control does not get) | zxcvbn-go patterns (score, entropy vs control) | zxcvbn-go detects | go-password-validator entropy vs control | validator detects |\n|---|---|---|---|---|---|---|\n")
	for _, e := range examples {
		p := profile(t, e.policy)
		check := func(s string) *core.Verdict {
			var v core.Verdict
			if e.password {
				c := core.PasswordContext{Breached: breached}
				switch e.ctx {
				case "ext":
					c.Extensions = []string{"36697"}
				case "alias":
					c.Alias = "jsmith"
				}
				p.CheckPassword(s, &c, &v)
			} else {
				c := core.PINContext{Year: 2026}
				switch e.ctx {
				case "ext":
					c.Extensions = []string{"36697"}
				case "name":
					c.FirstName, c.LastName = "Zoë", "O'Brien"
				case "dob":
					c.DateOfBirth = "1990-07-04"
				}
				// Judge the pattern alone: a short seed example (159) is
				// checked at its own length, as the seed does.
				q := *p
				q.PIN.MinLength = min(q.PIN.MinLength, len(s))
				q.CheckPIN(s, &c, &v)
			}
			return &v
		}
		got, ctl := check(e.input), check(e.control)
		// Detected: the example draws a reason its control does not.
		var codes []string
		for _, r := range got.Reasons {
			if !ctl.Has(r.Code) {
				codes = append(codes, string(r.Code))
			}
		}
		if len(codes) == 0 {
			t.Errorf("%s (%s): no reason beyond its control's", e.input, e.policy)
		}
		pat, score, ent := zxcvbnPatterns(e.input)
		_, cscore, cent := zxcvbnPatterns(e.control)
		zDetects := "no"
		if pat != "" && (score < cscore || ent < cent) {
			zDetects = "yes"
		}
		if pat == "" {
			pat = "none"
		}
		we, wc := validator.GetEntropy(e.input), validator.GetEntropy(e.control)
		vDetects := "no"
		if we < wc {
			vDetects = "yes"
		}
		fmt.Fprintf(&tab, "| `%s` | %s | %s | %s (%d, %.1f vs %.1f) | %s | %.1f vs %.1f | %s |\n",
			e.input, e.policy, strings.Join(codes, ", "), pat, score, ent, cent, zDetects, we, wc, vDetects)
	}
	t.Log("\n" + tab.String())
}
