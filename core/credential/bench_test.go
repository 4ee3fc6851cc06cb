package credential

import (
	"strings"
	"testing"
)

// BenchmarkVerify measures Record.Verify per scheme, the record parsed
// once (the audit's use: many candidates against one record). PBKDF2 runs
// at DefaultIterations. docs/performance.md gives the ratios to {SHA}.
func BenchmarkVerify(b *testing.B) {
	const pin = "408408"
	for _, s := range Schemes() {
		rec, err := Make(s, pin, make([]byte, s.SaltLen()))
		if err != nil {
			b.Fatal(err)
		}
		r, err := Parse(rec)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(benchName(s), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if !r.Verify(pin) {
					b.Fatal("does not verify")
				}
			}
		})
	}
}

// BenchmarkVerifyRecord includes parsing the record text each time (the
// history rule's and hash.verify's use).
func BenchmarkVerifyRecord(b *testing.B) {
	for _, s := range []Scheme{SHA, SSHA, SSHA512, HexSHA1} {
		rec, _ := Make(s, "408408", make([]byte, s.SaltLen()))
		b.Run(benchName(s), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if !Matches(rec, "408408") {
					b.Fatal("does not verify")
				}
			}
		})
	}
}

func benchName(s Scheme) string {
	return strings.NewReplacer("{", "", "}", "", ":", "-").Replace(s.String())
}
