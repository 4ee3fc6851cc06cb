package srsv

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func newTest(ttl time.Duration) (*Manager, *clock) {
	c := &clock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	return New(Options{TTL: ttl, Now: c.now}), c
}

var ctx = context.Background()

func TestTokenIsARandomV4UUID(t *testing.T) {
	m, _ := newTest(0)
	seen := map[string]bool{}
	for i := 0; i < 100; i++ {
		branch := "branch-" + string(rune('a'+i%26)) + strings.Repeat("x", i)
		tok, err := m.Begin(ctx, branch)
		if err != nil {
			t.Fatal(err)
		}
		u, err := uuid.Parse(tok)
		if err != nil || len(tok) != 36 || u.Version() != 4 || u.Variant() != uuid.RFC4122 || tok != strings.ToLower(tok) {
			t.Fatalf("token %d is not a canonical v4 UUID (version %d)", i, u.Version())
		}
		if seen[tok] {
			t.Fatal("a token repeated")
		}
		seen[tok] = true
	}
}

func TestCompleteOnce(t *testing.T) {
	m, _ := newTest(0)
	tok, err := m.Begin(ctx, "Raleigh")
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Complete(ctx, "Raleigh", tok); err != nil {
		t.Fatalf("first completion: %v", err)
	}
	if err := m.Complete(ctx, "Raleigh", tok); !errors.Is(err, ErrNoCycle) {
		t.Fatalf("second completion: %v, want ErrNoCycle", err)
	}
	// A new cycle gets a new token; the old one does not work for it.
	tok2, err := m.Begin(ctx, "Raleigh")
	if err != nil || tok2 == tok {
		t.Fatalf("second cycle: %v (same token %v)", err, tok2 == tok)
	}
	if err := m.Complete(ctx, "Raleigh", tok); !errors.Is(err, ErrInvalidToken) {
		t.Fatalf("old token on the new cycle: %v", err)
	}
}

func TestWrongTokens(t *testing.T) {
	m, _ := newTest(0)
	tok, _ := m.Begin(ctx, "Austin")
	other, _ := m.Begin(ctx, "Boston")
	u := uuid.MustParse(tok)
	last := "0"
	if tok[35] == '0' {
		last = "1"
	}
	wrong := []string{
		"", other, strings.ToUpper(tok[:35]) + last, "{" + tok + "}", "urn:uuid:" + tok,
		strings.ReplaceAll(tok, "-", ""), tok + " ", u.URN(),
	}
	for _, w := range wrong {
		err := m.Complete(ctx, "Austin", w)
		if !errors.Is(err, ErrInvalidToken) {
			t.Errorf("Complete(%d-char variant): %v, want ErrInvalidToken", len(w), err)
		}
		if err != nil && (strings.Contains(err.Error(), tok) || (w != "" && strings.Contains(err.Error(), w))) {
			t.Errorf("an error names a token: %q", err)
		}
	}
	// The cycle survived the wrong attempts.
	if err := m.Complete(ctx, "Austin", tok); err != nil {
		t.Fatalf("right token after wrong ones: %v", err)
	}
	if err := m.Complete(ctx, "Nowhere", tok); !errors.Is(err, ErrNoCycle) {
		t.Fatalf("unknown branch: %v", err)
	}
}

func TestExpiry(t *testing.T) {
	m, c := newTest(10 * time.Minute)
	tok, _ := m.Begin(ctx, "Denver")
	c.add(10*time.Minute - time.Nanosecond)
	if _, err := m.Begin(ctx, "Denver"); !errors.Is(err, ErrCycleInProgress) {
		t.Fatalf("Begin during a cycle: %v", err)
	}
	if err := m.Complete(ctx, "Denver", tok); err != nil {
		t.Fatalf("just before expiry: %v", err)
	}

	tok, _ = m.Begin(ctx, "Denver")
	c.add(10 * time.Minute)
	if err := m.Complete(ctx, "Denver", tok); !errors.Is(err, ErrExpired) {
		t.Fatalf("at expiry: %v, want ErrExpired", err)
	}
	if err := m.Complete(ctx, "Denver", tok); !errors.Is(err, ErrNoCycle) {
		t.Fatalf("an expired token is removed: %v", err)
	}

	// An expired cycle does not block the next one.
	_, _ = m.Begin(ctx, "Denver")
	c.add(time.Hour)
	if _, err := m.Begin(ctx, "Denver"); err != nil {
		t.Fatalf("Begin after expiry: %v", err)
	}
}

func TestCancel(t *testing.T) {
	m, _ := newTest(0)
	tok, _ := m.Begin(ctx, "Erie")
	if err := m.Cancel(ctx, "Erie"); err != nil {
		t.Fatal(err)
	}
	if err := m.Complete(ctx, "Erie", tok); !errors.Is(err, ErrNoCycle) {
		t.Fatalf("after Cancel: %v", err)
	}
	if _, err := m.Begin(ctx, "Erie"); err != nil {
		t.Fatalf("Begin after Cancel: %v", err)
	}
}

func TestBadBranchAndRandomness(t *testing.T) {
	m, _ := newTest(0)
	for _, b := range []string{"", strings.Repeat("b", maxBranchLen+1)} {
		if _, err := m.Begin(ctx, b); !errors.Is(err, ErrBadBranch) {
			t.Errorf("Begin(%d bytes): %v", len(b), err)
		}
		if err := m.Complete(ctx, b, "x"); !errors.Is(err, ErrBadBranch) {
			t.Errorf("Complete(%d bytes): %v", len(b), err)
		}
	}
	// Randomness is injectable, and a failing source fails Begin.
	fixed := New(Options{Rand: bytes.NewReader(make([]byte, 16))})
	tok, err := fixed.Begin(ctx, "Fargo")
	if err != nil || tok != "00000000-0000-4000-8000-000000000000" {
		t.Fatalf("Begin with a zero source: %q %v", tok, err)
	}
	if _, err := fixed.Begin(ctx, "Gary"); err == nil {
		t.Fatal("Begin with an exhausted source succeeded")
	}
}

func TestSweep(t *testing.T) {
	s := NewMemoryStore()
	m, c := newTest(time.Minute)
	m.store = s
	for i := 0; i < 50; i++ {
		_, _ = m.Begin(ctx, strings.Repeat("h", i+1))
	}
	c.add(2 * time.Minute)
	_, _ = m.Begin(ctx, "Houston")
	if s.Len() != 1 {
		t.Fatalf("store holds %d entries after the sweep, want 1", s.Len())
	}
}

// TestHammerComplete: many requests present the right token at once;
// exactly one completes the cycle. Run with -race.
func TestHammerComplete(t *testing.T) {
	m, _ := newTest(0)
	for round := 0; round < 50; round++ {
		tok, err := m.Begin(ctx, "Irvine")
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		var mu sync.Mutex
		wins := 0
		for g := 0; g < 16; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if m.Complete(ctx, "Irvine", tok) == nil {
					mu.Lock()
					wins++
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if wins != 1 {
			t.Fatalf("round %d: %d completions of one token", round, wins)
		}
	}
}
