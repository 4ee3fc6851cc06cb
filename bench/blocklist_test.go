package bench

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"

	zxcvbn "github.com/ccojocar/zxcvbn-go"
	"github.com/ccojocar/zxcvbn-go/frequency"

	tollgate "github.com/tollgate/tollgate"
	"github.com/tollgate/tollgate/core"
	"github.com/tollgate/tollgate/core/artifact"
	"github.com/tollgate/tollgate/internal/datagen"
)

// breached is the committed breached-password list (wasm/passwords.tgd).
var breached = func() *core.PasswordList {
	a, err := artifact.Parse(tollgate.Data()[0])
	if err != nil {
		panic(err)
	}
	l, err := core.ParsePasswordList(a.Payload)
	if err != nil {
		panic(err)
	}
	return l
}()

// zxcvbnRefuses is zxcvbn's verdict as a policy: score below 3 ("safely
// unguessable" starts at 3, 10^8 guesses and more).
func zxcvbnRefuses(pw string) bool { return zxcvbn.PasswordStrength(pw, nil).Score < 3 }

// TestBlocklistHeldOut measures the password blocklist on passwords it was
// not built from, beside zxcvbn-go on the same samples (docs/rules.md
// quotes the table):
//
//	cd bench && go test -run TestBlocklistHeldOut -v
//
// The corpus (datagen.Corpus: the pinned xato top-1M list) is split by
// datagen.HeldOut, about 10% by hash; a list is built from the rest exactly
// as wasm/passwords.tgd is, and nist-800-63b-4 judges:
//
//   - every held-out entry of 15 characters or more (as it stands);
//   - held-out entries shorter than 15, lengthened the way users do
//     (a deterministic choice of tails: 1234567, 2024!, !!, ...), to 15;
//   - diceware-like passphrases (four words of zxcvbn-go's English list)
//     and random printable strings of 16 to 24 characters, where every
//     refusal would be a false positive: the test fails on any.
func TestBlocklistHeldOut(t *testing.T) {
	if testing.Short() {
		t.Skip("a million-entry corpus; skipped with -short")
	}
	entries, err := datagen.Corpus()
	if err != nil {
		t.Skipf("no corpus: %v", err)
	}
	var build, held []string
	for _, e := range entries {
		if datagen.HeldOut(e) {
			held = append(held, e)
		} else {
			build = append(build, e)
		}
	}
	payload, err := datagen.PasswordsPayload(append(build, datagen.Extra...))
	if err != nil {
		t.Fatal(err)
	}
	list, err := core.ParsePasswordList(payload)
	if err != nil {
		t.Fatal(err)
	}
	nist, _ := core.Profile(core.ProfileNIST)
	c := core.PasswordContext{Breached: list}
	type tally struct {
		n, tg, zx, both int
		detail          map[string]int
	}
	judge := func(sample []string) tally {
		r := tally{detail: map[string]int{}}
		var v core.Verdict
		for _, pw := range sample {
			nist.CheckPassword(pw, &c, &v)
			tg := v.Has(core.CodeCommon)
			zx := zxcvbnRefuses(pw)
			r.n++
			if tg {
				r.tg++
				r.detail[v.Reasons[len(v.Reasons)-1].Detail]++
			}
			if zx {
				r.zx++
			}
			if tg && zx {
				r.both++
			}
		}
		return r
	}
	var long, short []string
	for _, e := range held {
		if utf8.RuneCountInString(e) >= 15 {
			long = append(long, e)
		} else {
			short = append(short, e)
		}
	}
	// Every tenth short entry, lengthened: a tail chosen by the entry's
	// rank, repeated until the password has 15 characters.
	tails := []string{"1234567", "123456789", "2024!", "!!", "1!", "@123", "12345!", "!!!", "2023", "0000000"}
	var extended []string
	for i := 0; i < len(short); i += 10 {
		x := short[i]
		for k := i; utf8.RuneCountInString(x) < 15; k++ {
			x += tails[k%len(tails)]
		}
		extended = append(extended, x)
	}
	// Passphrases and random strings.
	words := frequency.Lists["English"].List
	var common []string
	for _, w := range words[:min(len(words), 20000)] {
		if len(w) >= 3 {
			common = append(common, w)
		}
	}
	rnd := rand.New(rand.NewPCG(14, 24))
	const printable = "!\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~"
	var phrases, randoms []string
	for len(phrases) < 5000 {
		p := make([]string, 4)
		for i := range p {
			p[i] = common[rnd.IntN(len(common))]
		}
		if s := strings.Join(p, " "); utf8.RuneCountInString(s) >= 15 {
			phrases = append(phrases, s)
		}
		var b strings.Builder
		for k := 0; k < 16+rnd.IntN(9); k++ {
			b.WriteByte(printable[rnd.IntN(len(printable))])
		}
		randoms = append(randoms, b.String())
	}

	var tab strings.Builder
	tab.WriteString("| sample | passwords | refused by nist-800-63b-4 | refused by zxcvbn-go (score < 3) | by both |\n|---|---|---|---|---|\n")
	row := func(name string, r tally) {
		pct := func(k int) string { return fmt.Sprintf("%d (%.1f%%)", k, 100*float64(k)/float64(max(r.n, 1))) }
		fmt.Fprintf(&tab, "| %s | %d | %s | %s | %s |\n", name, r.n, pct(r.tg), pct(r.zx), pct(r.both))
	}
	rl, re, rp, rr := judge(long), judge(extended), judge(phrases), judge(randoms)
	row("held-out entries, 15+ characters", rl)
	row("held-out entries under 15, lengthened to 15", re)
	row("diceware-like passphrases (4 words)", rp)
	row("random printable strings, 16–24", rr)
	t.Logf("corpus %d entries, %d held out (%d of 15+); list built from %d entries: %d skeletons",
		len(entries), len(held), len(long), len(build), list.Len())
	t.Logf("details, 15+: %v; lengthened: %v", rl.detail, re.detail)
	t.Log("\n" + tab.String())
	if rp.tg+rr.tg > 0 {
		t.Errorf("the blocklist refused %d passphrases and %d random strings; want none (false positives)", rp.tg, rr.tg)
	}
}
