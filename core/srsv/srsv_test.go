package srsv

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

var (
	ctx = context.Background()
	t0  = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
)

// leaks reports whether s shows anything of tok: its text, in either
// case, or its bytes in hex.
func leaks(s string, tok Token) bool {
	text := tok.Reveal()
	raw := strings.ReplaceAll(text, "-", "")
	s = strings.ToLower(s)
	return strings.Contains(s, text) || strings.Contains(s, raw) || strings.Contains(s, raw[:8]) ||
		strings.Contains(s, strings.Trim(fmt.Sprint(tok.secret()), "[]")[:12])
}

func TestIssueMakesCanonicalV4Tokens(t *testing.T) {
	m := New(Options{})
	seen := map[string]bool{}
	for i := 0; i < 200; i++ {
		tok, p, err := m.Issue(ctx, t0, rand.Reader, fmt.Sprint("branch-", i))
		if err != nil {
			t.Fatal(err)
		}
		s := tok.Reveal()
		b, ok := parseToken(s)
		if !ok || len(s) != 36 || s != strings.ToLower(s) || b[6]>>4 != 4 || b[8]>>6 != 2 {
			t.Fatalf("token %d is not a canonical lowercase version 4 UUID", i)
		}
		if seen[s] {
			t.Fatal("a token repeated")
		}
		seen[s] = true
		if p.Branch != fmt.Sprint("branch-", i) || !p.Issued.Equal(t0) || !p.Expires.Equal(t0.Add(DefaultTTL)) {
			t.Fatalf("Issue's Pending = %+v", p)
		}
	}
}

// TestIssueUsesOnlyTheGivenRandomnessAndClock: the token is the reader's
// bytes with the version and variant bits set, the times are the given
// ones (UTC, whole milliseconds, no monotonic reading), and a reader that
// fails fails Issue without storing anything.
func TestIssueUsesOnlyTheGivenRandomnessAndClock(t *testing.T) {
	s := NewMemoryStore()
	m := New(Options{Store: s, TTL: 90 * time.Second})
	src := bytes.NewReader(append(bytes.Repeat([]byte{0xff}, 16), make([]byte, 16)...))
	local := time.Date(2026, 3, 2, 10, 0, 0, 123456789, time.FixedZone("CET", 3600))
	for _, tc := range []struct {
		branch, token string
	}{
		{"Fargo", "ffffffff-ffff-4fff-bfff-ffffffffffff"},
		{"Gary", "00000000-0000-4000-8000-000000000000"},
	} {
		tok, p, err := m.Issue(ctx, local, src, tc.branch)
		if err != nil || tok.Reveal() != tc.token {
			t.Fatalf("%s: token %q %v, want %q", tc.branch, tok.Reveal(), err, tc.token)
		}
		want := time.Date(2026, 3, 2, 9, 0, 0, 123000000, time.UTC)
		if p.Issued != want || p.Expires != want.Add(90*time.Second) {
			t.Fatalf("%s: issued %v expires %v, want %v and 90 s later", tc.branch, p.Issued, p.Expires, want)
		}
	}
	for name, r := range map[string]*bytes.Reader{"exhausted": src, "short": bytes.NewReader(make([]byte, 15))} {
		if _, _, err := m.Issue(ctx, t0, r, "Houston-"+name); !errors.Is(err, ErrNoRandomness) {
			t.Errorf("Issue with a %s reader: %v, want ErrNoRandomness", name, err)
		}
	}
	if _, _, err := m.Issue(ctx, t0, nil, "Houston"); !errors.Is(err, ErrNoRandomness) {
		t.Errorf("Issue with no reader: %v, want ErrNoRandomness", err)
	}
	if s.Len() != 2 {
		t.Errorf("the store holds %d cycles, want the 2 issued", s.Len())
	}
}

// TestRedeem: every way of presenting a token, one table row each, on a
// fresh cycle of Austin (issued at t0, 10 minutes to live) beside one of
// Boston.
func TestRedeem(t *testing.T) {
	const ttl = 10 * time.Minute
	type tokens struct{ austin, boston string }
	cases := []struct {
		name    string
		branch  string
		token   func(tokens) string
		at      time.Duration
		want    error
		pending string // Austin's cycle after the call: "kept" or "gone"
	}{
		{"right token", "Austin", func(k tokens) string { return k.austin }, 0, nil, "gone"},
		{"right token just before expiry", "Austin", func(k tokens) string { return k.austin }, ttl - time.Millisecond, nil, "gone"},
		{"right token at expiry", "Austin", func(k tokens) string { return k.austin }, ttl, ErrExpired, "gone"},
		{"right token long after", "Austin", func(k tokens) string { return k.austin }, 30 * 24 * time.Hour, ErrExpired, "gone"},
		{"right token in capitals", "Austin", func(k tokens) string { return strings.ToUpper(k.austin) }, 0, nil, "gone"},
		{"empty", "Austin", func(tokens) string { return "" }, 0, ErrInvalidToken, "kept"},
		{"the other branch's token", "Austin", func(k tokens) string { return k.boston }, 0, ErrInvalidToken, "kept"},
		{"one digit off", "Austin", func(k tokens) string { return flipLast(k.austin) }, 0, ErrInvalidToken, "kept"},
		{"braces", "Austin", func(k tokens) string { return "{" + k.austin + "}" }, 0, ErrInvalidToken, "kept"},
		{"urn", "Austin", func(k tokens) string { return "urn:uuid:" + k.austin }, 0, ErrInvalidToken, "kept"},
		{"no hyphens", "Austin", func(k tokens) string { return strings.ReplaceAll(k.austin, "-", "") }, 0, ErrInvalidToken, "kept"},
		{"hyphen moved", "Austin", func(k tokens) string { return k.austin[:7] + "-" + k.austin[7:8] + k.austin[9:] }, 0, ErrInvalidToken, "kept"},
		{"trailing space", "Austin", func(k tokens) string { return k.austin + " " }, 0, ErrInvalidToken, "kept"},
		{"leading space", "Austin", func(k tokens) string { return " " + k.austin[1:] }, 0, ErrInvalidToken, "kept"},
		{"not hex", "Austin", func(k tokens) string { return "g" + k.austin[1:] }, 0, ErrInvalidToken, "kept"},
		{"wrong token after expiry", "Austin", func(k tokens) string { return flipLast(k.austin) }, ttl, ErrInvalidToken, "kept"},
		{"right token, another branch", "Boston", func(k tokens) string { return k.austin }, 0, ErrInvalidToken, "kept"},
		{"right token, branch in capitals", "AUSTIN", func(k tokens) string { return k.austin }, 0, ErrInvalidToken, "kept"},
		{"unknown branch", "Nowhere", func(k tokens) string { return k.austin }, 0, ErrInvalidToken, "kept"},
		{"empty branch", "", func(k tokens) string { return k.austin }, 0, ErrBadBranch, "kept"},
		{"long branch", strings.Repeat("b", MaxBranchBytes+1), func(k tokens) string { return k.austin }, 0, ErrBadBranch, "kept"},
		{"control character in branch", "Aus\ntin", func(k tokens) string { return k.austin }, 0, ErrBadBranch, "kept"},
		{"invalid UTF-8 in branch", "Aus\xfftin", func(k tokens) string { return k.austin }, 0, ErrBadBranch, "kept"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := NewMemoryStore()
			m := New(Options{Store: s, TTL: ttl})
			a, _, err := m.Issue(ctx, t0, rand.Reader, "Austin")
			if err != nil {
				t.Fatal(err)
			}
			b, _, err := m.Issue(ctx, t0, rand.Reader, "Boston")
			if err != nil {
				t.Fatal(err)
			}
			err = m.Redeem(ctx, t0.Add(tc.at), tc.branch, tc.token(tokens{a.Reveal(), b.Reveal()}))
			if err != tc.want { // sentinels, never wrapped
				t.Fatalf("Redeem = %v, want %v", err, tc.want)
			}
			if err != nil && (leaks(err.Error(), a) || leaks(err.Error(), b)) {
				t.Fatalf("the error shows a token: %q", err)
			}
			_, kept := s.m["Austin"]
			if kept != (tc.pending == "kept") {
				t.Fatalf("Austin's cycle kept %v, want %s", kept, tc.pending)
			}
			if _, ok := s.m["Boston"]; !ok {
				t.Fatal("Boston's cycle is gone")
			}
			if tc.want == nil {
				if err := m.Redeem(ctx, t0, "Austin", a.Reveal()); err != ErrInvalidToken {
					t.Fatalf("the same token a second time: %v, want ErrInvalidToken", err)
				}
			}
		})
	}
}

func flipLast(tok string) string {
	last := byte('0')
	if tok[35] == '0' {
		last = '1'
	}
	return tok[:35] + string(last)
}

// TestCycles: the life of one branch's cycles, step by step.
func TestCycles(t *testing.T) {
	m := New(Options{TTL: 10 * time.Minute})
	steps := []struct {
		name string
		do   func(*Token) error
	}{
		{"issue", func(k *Token) (err error) { *k, _, err = m.Issue(ctx, t0, rand.Reader, "Denver"); return }},
		{"issue while pending", func(*Token) error {
			_, _, err := m.Issue(ctx, t0.Add(10*time.Minute-time.Millisecond), rand.Reader, "Denver")
			return want(err, ErrCycleInProgress)
		}},
		{"revoke", func(*Token) error { return m.Revoke(ctx, "Denver") }},
		{"revoke again", func(*Token) error { return want(m.Revoke(ctx, "Denver"), ErrNoCycle) }},
		{"the revoked token", func(k *Token) error { return want(m.Redeem(ctx, t0, "Denver", k.Reveal()), ErrInvalidToken) }},
		{"issue after revoke", func(k *Token) (err error) { *k, _, err = m.Issue(ctx, t0, rand.Reader, "Denver"); return }},
		{"issue over an expired cycle", func(k *Token) error {
			old := *k
			var err error
			if *k, _, err = m.Issue(ctx, t0.Add(10*time.Minute), rand.Reader, "Denver"); err != nil {
				return err
			}
			return want(m.Redeem(ctx, t0.Add(10*time.Minute), "Denver", old.Reveal()), ErrInvalidToken)
		}},
		{"redeem the new one", func(k *Token) error { return m.Redeem(ctx, t0.Add(15*time.Minute), "Denver", k.Reveal()) }},
		{"nothing pending", func(*Token) error {
			p, err := m.Pending(ctx, t0.Add(15*time.Minute))
			if err == nil && len(p) != 0 {
				err = fmt.Errorf("pending %+v", p)
			}
			return err
		}},
		{"revoke a bad branch", func(*Token) error { return want(m.Revoke(ctx, ""), ErrBadBranch) }},
		{"issue for a bad branch", func(*Token) error {
			_, _, err := m.Issue(ctx, t0, rand.Reader, "a\x00b")
			return want(err, ErrBadBranch)
		}},
	}
	var tok Token
	for _, s := range steps {
		if err := s.do(&tok); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
	}
}

func want(err, target error) error {
	if err != target {
		return fmt.Errorf("got %v, want %v", err, target)
	}
	return nil
}

func TestPendingShowsNoSecret(t *testing.T) {
	m := New(Options{TTL: time.Minute})
	var toks []Token
	for i, b := range []string{"Irvine", "Erie", "Houston"} {
		tok, _, err := m.Issue(ctx, t0.Add(time.Duration(i)*time.Minute), rand.Reader, b)
		if err != nil {
			t.Fatal(err)
		}
		toks = append(toks, tok)
	}
	p, err := m.Pending(ctx, t0.Add(90*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if len(p) != 2 || p[0].Branch != "Erie" || p[1].Branch != "Houston" || !p[1].Expires.Equal(t0.Add(3*time.Minute)) {
		t.Fatalf("Pending = %+v, want Erie and Houston, Irvine's cycle having expired", p)
	}
	out := fmt.Sprintf("%v %+v %#v", p, p, p)
	j, _ := json.Marshal(p)
	for _, tok := range toks {
		if leaks(out, tok) || leaks(string(j), tok) {
			t.Fatalf("Pending shows a token: %s %s", out, j)
		}
	}
}

// TestTokenPrintsNothing: no fmt verb, no enclosing struct and no JSON
// encoding shows a token; only Reveal does.
func TestTokenPrintsNothing(t *testing.T) {
	tok, _, err := New(Options{}).Issue(ctx, t0, rand.Reader, "Joliet")
	if err != nil {
		t.Fatal(err)
	}
	type exported struct{ Token Token }
	type unexported struct{ tok Token }
	var outs []string
	for _, v := range []any{tok, &tok, exported{tok}, &exported{tok}, unexported{tok}, []Token{tok}, map[string]Token{"k": tok}} {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%o", "%b", "%08x"} {
			outs = append(outs, fmt.Sprintf(verb, v))
		}
		j, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		outs = append(outs, string(j))
	}
	outs = append(outs, tok.String(), tok.GoString(), fmt.Sprint(tok), fmt.Sprintln(tok))
	for _, o := range outs {
		if leaks(o, tok) {
			t.Fatalf("a token shows: %q", o)
		}
	}
	// The check can fail: Reveal, and the bytes, do show it.
	if !leaks(tok.Reveal(), tok) || !leaks(hex.EncodeToString(bytesOf(tok)), tok) {
		t.Fatal("leaks misses the token")
	}
	if (Token{}).Reveal() != "" {
		t.Error("the zero Token reveals something")
	}
}

// TestConcurrentRedeemWinsOnce: 16 requests present the right token at
// once; exactly one completes the cycle, the others get ErrInvalidToken.
// Run with -race.
func TestConcurrentRedeemWinsOnce(t *testing.T) {
	m := New(Options{})
	for round := 0; round < 50; round++ {
		now := t0.Add(time.Duration(round) * time.Hour)
		tok, _, err := m.Issue(ctx, now, rand.Reader, "Kent")
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		errs := make([]error, 16)
		start := make(chan struct{})
		for g := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				errs[g] = m.Redeem(ctx, now, "Kent", tok.Reveal())
			}()
		}
		close(start)
		wg.Wait()
		wins := 0
		for _, err := range errs {
			switch err {
			case nil:
				wins++
			case ErrInvalidToken:
			default:
				t.Fatalf("round %d: %v", round, err)
			}
		}
		if wins != 1 {
			t.Fatalf("round %d: %d completions of one token", round, wins)
		}
	}
}

// lyingStore answers every Take with its own cycle, whatever the digest:
// a store that broke its contract.
type lyingStore struct {
	*MemoryStore
	c Cycle
}

func (s lyingStore) Take(context.Context, string, Digest) (Cycle, bool, error) { return s.c, true, nil }

// TestRedeemChecksTheStoresAnswer: the Manager compares the digest itself,
// in constant time, so a store that returns the wrong cycle grants
// nothing.
func TestRedeemChecksTheStoresAnswer(t *testing.T) {
	real := NewMemoryStore()
	tok, _, err := New(Options{Store: real}).Issue(ctx, t0, rand.Reader, "Lima")
	if err != nil {
		t.Fatal(err)
	}
	c := real.m["Lima"]
	m := New(Options{Store: lyingStore{real, c}})
	if err := m.Redeem(ctx, t0, "Lima", flipLast(tok.Reveal())); err != ErrInvalidToken {
		t.Errorf("a wrong token the store let through: %v, want ErrInvalidToken", err)
	}
	if err := m.Redeem(ctx, t0, "Other", tok.Reveal()); err != ErrInvalidToken {
		t.Errorf("another branch's cycle the store returned: %v, want ErrInvalidToken", err)
	}
	if err := m.Redeem(ctx, t0, "Lima", tok.Reveal()); err != nil {
		t.Errorf("the right token: %v", err)
	}
}

func TestMemoryStoreBound(t *testing.T) {
	s := NewMemoryStore()
	for i := 0; i < MaxMemoryCycles; i++ {
		c := Cycle{Branch: fmt.Sprint(i), Issued: t0, Expires: t0.Add(time.Minute)}
		if err := s.Create(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	full := Cycle{Branch: "one too many", Issued: t0, Expires: t0.Add(time.Minute)}
	if err := s.Create(ctx, full); err != ErrStoreFull {
		t.Fatalf("Create beyond the bound: %v, want ErrStoreFull", err)
	}
	// A branch already held may still start over once its cycle expired.
	if err := s.Create(ctx, Cycle{Branch: "7", Issued: t0.Add(time.Minute), Expires: t0.Add(2 * time.Minute)}); err != nil {
		t.Fatalf("replacing an expired cycle in a full store: %v", err)
	}
	// Once the cycles expire, a full store sweeps them.
	full.Issued, full.Expires = t0.Add(time.Minute), t0.Add(2*time.Minute)
	if err := s.Create(ctx, full); err != nil {
		t.Fatalf("Create after the cycles expired: %v", err)
	}
	if s.Len() != 2 {
		t.Fatalf("the store holds %d cycles after the sweep, want 2", s.Len())
	}
}

func bytesOf(t Token) []byte { b := t.secret(); return b[:] }

// TestNotInTheModule: the WebAssembly module, and the api it serves, link
// nothing of this package (a service exposes it, issue 17).
func TestNotInTheModule(t *testing.T) {
	cmd := exec.Command("go", "list", "-deps", "-tags=tollgate_hostregex", "github.com/tollgate/tollgate/wasm", "github.com/tollgate/tollgate/api")
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm", "CGO_ENABLED=0", "GOFLAGS=")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	deps := strings.Fields(string(out))
	if !slices.Contains(deps, "github.com/tollgate/tollgate/core/dialplan") {
		t.Fatalf("go list -deps names no core/dialplan: %q", deps)
	}
	for _, d := range deps {
		if strings.HasPrefix(d, "github.com/tollgate/tollgate/core/srsv") {
			t.Errorf("the module links %s", d)
		}
	}
}
