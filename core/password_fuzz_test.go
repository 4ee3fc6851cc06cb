package core

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

var passwordCodes = []Code{
	CodeTooShort, CodeTooLong, CodeFewClasses, CodeMissingClass, CodeRepeatedChar,
	CodeContainsAlias, CodeContainsReversedAlias, CodeContainsExtension,
	CodeConsecutiveChars, CodeTooSimilar, CodeReused, CodeCommon,
}

func FuzzCheckPassword(f *testing.F) {
	for _, tt := range pwTests {
		if len(tt.pw) < 300 {
			f.Add(tt.pw, tt.ctx.Alias, strings.Join(tt.ctx.Extensions, ""), tt.ctx.Old)
		}
	}
	all := pwPolicy(8, func(r *PasswordPolicy) {
		r.Trivial, r.MinClasses, r.MinChanges, r.History, r.Blocklist = true, 3, 4, 2, true
	})
	policies := []*Policy{all, esmPW, nistPW, loosePW, ringPW}
	f.Fuzz(func(t *testing.T, pw, alias, ext, old string) {
		ctx := PasswordContext{Alias: alias, Extensions: []string{ext}, Old: old, Previous: []string{old}}
		for _, p := range policies {
			var v, again Verdict
			p.CheckPassword(pw, &ctx, &v)
			checkVerdict(t, &v, pw, passwordCodes)
			p.CheckPassword(pw, &ctx, &again)
			if !slices.Equal(v.Reasons, again.Reasons) || v.Accepted != again.Accepted {
				t.Fatalf("same input, different verdicts: %s / %s", dump(&v), dump(&again))
			}
			n := utf8.RuneCountInString(pw)
			if n > maxPasswordChars {
				if len(v.Reasons) != 1 || v.Reasons[0].Code != CodeTooLong {
					t.Fatalf("past the cap: %s", dump(&v))
				}
				continue
			}
			if !utf8.ValidString(pw) || !utf8.ValidString(alias) {
				continue
			}
			if p.Password.Trivial {
				run := false
				rs := []rune(pw)
				for i := 0; i+3 < len(rs); i++ {
					run = run || rs[i] == rs[i+1] && rs[i] == rs[i+2] && rs[i] == rs[i+3]
				}
				if v.Has(CodeRepeatedChar) != run {
					t.Fatalf("repeated_char = %v, oracle %v", v.Has(CodeRepeatedChar), run)
				}
				in := alias != "" && strings.Contains(strings.ToLower(pw), strings.ToLower(alias))
				if v.Has(CodeContainsAlias) != in {
					t.Fatalf("contains_alias = %v, oracle %v", v.Has(CodeContainsAlias), in)
				}
				if pw != "" && strings.Trim(pw, "0123456789") == "" {
					if want := sequenceOracle(pw, p.Password.SequenceWraps); v.Has(CodeConsecutiveChars) != want {
						t.Fatalf("consecutive_chars = %v for digits, oracle %v (wraps %v)", v.Has(CodeConsecutiveChars), want, p.Password.SequenceWraps)
					}
				}
			}
			if p.Password.MinChanges > 0 && old != "" && pw == old && !v.Has(CodeTooSimilar) {
				t.Fatal("unchanged password not too_similar")
			}
			if p.Password.History > 0 && (pw == old) != v.Has(CodeReused) {
				t.Fatalf("reused = %v", v.Has(CodeReused))
			}
		}
	})
}
