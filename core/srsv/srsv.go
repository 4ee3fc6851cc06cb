// Package srsv holds the rules of the shared secrets of Unity Connection
// SRSV provisioning (seed 000, "Cisco Unity Connection SRSV Passwords and
// Shared Secrets"): for each provisioning cycle of a branch the central
// server generates a secret token and shares it with the branch's SRSV
// server; when provisioning completes, the branch notifies the central
// server with the same token, and the token is removed from both.
//
// A cycle goes through these states:
//
//	Issue ──▶ pending ──Redeem (right token, in time)──▶ gone: success
//	             │  ├──Redeem (right token, too late)──▶ gone: ErrExpired
//	             │  ├──Redeem (wrong token)──▶ still pending: ErrInvalidToken
//	             │  └──Revoke──▶ gone
//	             └──Expires passes──▶ expired (a store may drop it; Issue may replace it)
//
// A token is 122 random bits in the canonical UUID version 4 text, usable
// once. It leaves the package once, as the Token Issue returns, whose
// String and Format print nothing of it (Reveal gives the text for the
// branch). Stores keep only its SHA-256 Digest, so a dump of a store holds
// nothing a branch could present; presented tokens are compared in
// constant time; no error carries a token.
//
// Like the rest of core, the package reads no clock and no randomness:
// Issue and Redeem take the time and a source of random bytes
// (crypto/rand.Reader in production). Where cycles live is a Store:
// MemoryStore for one process, a shared store (Redis, SQL) for replicas,
// whose Take is what makes a token single-use across all of them;
// package srsvtest holds the tests every Store must pass. The WebAssembly
// module does not include this package.
package srsv

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"time"
	"unicode"
	"unicode/utf8"
)

// DefaultTTL is how long a token stays usable when Options.TTL is 0: long
// enough for a branch to provision a large directory, short enough that a
// token of an abandoned cycle soon stops working.
const DefaultTTL = time.Hour

// MaxBranchBytes bounds a branch name, which keys a store and may appear in
// a service's messages.
const MaxBranchBytes = 256

// Errors. None carries a token or a digest.
var (
	ErrBadBranch       = errors.New("srsv: a branch name is 1 to 256 bytes of UTF-8 text without control characters")
	ErrCycleInProgress = errors.New("srsv: a provisioning cycle is already pending for the branch (revoke it first)")
	// ErrInvalidToken is the answer to a token that matches no pending
	// cycle of the branch, whether the branch has none, another, or had
	// this one and it was redeemed: the redeemer learns nothing about
	// which branches are provisioning.
	ErrInvalidToken = errors.New("srsv: no pending provisioning cycle of the branch matches the token")
	// ErrExpired is the answer to the right token presented at or after
	// its cycle's Expires; the cycle is removed. A store that has already
	// dropped the expired cycle answers ErrInvalidToken instead: both
	// refuse.
	ErrExpired      = errors.New("srsv: the provisioning token expired")
	ErrNoCycle      = errors.New("srsv: no provisioning cycle is pending for the branch")
	ErrNoRandomness = errors.New("srsv: no randomness for a token")
)

// Token is a provisioning secret, as Issue returns it. It prints as
// "srsv.Token(redacted)" with every fmt verb, and as the address of a
// function when fmt reaches it through an unexported field of another
// struct (the bytes live in a closure, which fmt never opens); it encodes
// as {} in JSON. Reveal returns its text. The zero Token is no token:
// Reveal returns "".
type Token struct{ secret func() [16]byte }

// Reveal returns the token's text, the canonical UUID form: 36 lowercase
// characters. The one use for it is the answer that hands the token to the
// branch.
func (t Token) Reveal() string {
	if t.secret == nil {
		return ""
	}
	const hexdigits = "0123456789abcdef"
	var out [36]byte
	j := 0
	for i, c := range t.secret() {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			out[j] = '-'
			j++
		}
		out[j], out[j+1] = hexdigits[c>>4], hexdigits[c&15]
		j += 2
	}
	return string(out[:])
}

// String hides the token.
func (Token) String() string { return "srsv.Token(redacted)" }

// GoString hides the token from %#v.
func (Token) GoString() string { return "srsv.Token(redacted)" }

// Format prints String for every fmt verb, so that %d or %x print the
// same as %v.
func (t Token) Format(f fmt.State, _ rune) { io.WriteString(f, t.String()) }

// newToken draws a version 4 UUID from random.
func newToken(random io.Reader) (Token, error) {
	if random == nil {
		return Token{}, ErrNoRandomness
	}
	var b [16]byte
	if _, err := io.ReadFull(random, b[:]); err != nil {
		return Token{}, fmt.Errorf("%w: %v", ErrNoRandomness, err)
	}
	b[6] = b[6]&0x0f | 0x40 // version 4
	b[8] = b[8]&0x3f | 0x80 // RFC 4122 variant
	return Token{func() [16]byte { return b }}, nil
}

// parseToken reads the canonical UUID text (hex digits of either case;
// no braces, urn: prefix or missing hyphens). It runs in time that depends
// on the presented text only, never on a stored secret.
func parseToken(s string) (b [16]byte, ok bool) {
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return b, false
	}
	for j, i := range [16]int{0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34} {
		hi, ok1 := unhex(s[i])
		lo, ok2 := unhex(s[i+1])
		if !ok1 || !ok2 {
			return b, false
		}
		b[j] = hi<<4 | lo
	}
	return b, true
}

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// Digest is the SHA-256 of a token's 16 bytes: what a Store keeps in its
// place. A token carries 122 random bits, so its digest needs no salt.
type Digest [32]byte

func digestOf(b [16]byte) Digest { return sha256.Sum256(b[:]) }

// Cycle is one pending provisioning cycle as a Store keeps it. Its times
// are UTC and whole milliseconds, so that any store keeps them exactly.
type Cycle struct {
	Branch  string
	Digest  Digest
	Issued  time.Time
	Expires time.Time
}

// Pending is a cycle as an administrator lists it: no token, no digest.
type Pending struct {
	Branch  string
	Issued  time.Time
	Expires time.Time
}

// Pending returns c without its digest.
func (c Cycle) Pending() Pending {
	return Pending{Branch: c.Branch, Issued: c.Issued, Expires: c.Expires}
}

// Store keeps at most one Cycle per branch. Implementations must be safe
// for concurrent use by every replica that shares them; srsvtest.TestStore
// checks the contract.
type Store interface {
	// Create stores c unless c.Branch has a cycle that has not expired at
	// c.Issued (then ErrCycleInProgress); an expired one is replaced.
	Create(ctx context.Context, c Cycle) error
	// Take removes branch's cycle if its digest is d, compared in constant
	// time, and returns it; ok is false, and nothing changes, when the
	// branch has no cycle or one with another digest. Take is atomic: of
	// any number of concurrent Takes of one cycle, on any replica, exactly
	// one gets ok (Redis: one script, or WATCH/MULTI; SQL: DELETE ...
	// WHERE branch = ? AND digest = ? RETURNING). A store may drop a cycle
	// once it has expired, never before.
	Take(ctx context.Context, branch string, d Digest) (c Cycle, ok bool, err error)
	// List returns the cycles not expired at now, by branch name.
	List(ctx context.Context, now time.Time) ([]Cycle, error)
	// Delete removes branch's cycle, expired or not, and reports whether
	// there was one.
	Delete(ctx context.Context, branch string) (bool, error)
}

// Options configure a Manager; zero values take the defaults.
type Options struct {
	Store Store         // default: a new MemoryStore
	TTL   time.Duration // how long a token is usable; default DefaultTTL
}

// Manager applies the rules over a Store. It holds no state of its own
// and is safe for concurrent use.
type Manager struct {
	store Store
	ttl   time.Duration
}

// New returns a Manager.
func New(o Options) *Manager {
	m := &Manager{store: o.Store, ttl: o.TTL}
	if m.store == nil {
		m.store = NewMemoryStore()
	}
	if m.ttl <= 0 {
		m.ttl = DefaultTTL
	}
	return m
}

// CheckBranch reports whether b is a branch name (ErrBadBranch if not).
func CheckBranch(b string) error {
	if b == "" || len(b) > MaxBranchBytes || !utf8.ValidString(b) {
		return ErrBadBranch
	}
	for _, r := range b {
		if unicode.IsControl(r) {
			return ErrBadBranch
		}
	}
	return nil
}

// Issue starts a provisioning cycle for branch at now, with a token drawn
// from random (crypto/rand.Reader in production), and returns the token,
// to be shared with the branch, and the cycle as List shows it. A cycle
// still pending is not replaced (ErrCycleInProgress): Revoke it first.
func (m *Manager) Issue(ctx context.Context, now time.Time, random io.Reader, branch string) (Token, Pending, error) {
	if err := CheckBranch(branch); err != nil {
		return Token{}, Pending{}, err
	}
	tok, err := newToken(random)
	if err != nil {
		return Token{}, Pending{}, err
	}
	now = now.UTC().Truncate(time.Millisecond)
	c := Cycle{Branch: branch, Digest: digestOf(tok.secret()), Issued: now, Expires: now.Add(m.ttl.Truncate(time.Millisecond))}
	if !c.Expires.After(c.Issued) {
		c.Expires = c.Issued.Add(time.Millisecond)
	}
	if err := m.store.Create(ctx, c); err != nil {
		return Token{}, Pending{}, err
	}
	return tok, c.Pending(), nil
}

// Redeem completes branch's cycle at now if token is its secret: the
// cycle is removed, so the token works once, on every replica of a shared
// store. A token that matches no pending cycle of the branch is
// ErrInvalidToken and changes nothing; the right one presented at or
// after Expires is ErrExpired, and the cycle is removed.
func (m *Manager) Redeem(ctx context.Context, now time.Time, branch, token string) error {
	if err := CheckBranch(branch); err != nil {
		return err
	}
	b, ok := parseToken(token)
	if !ok {
		return ErrInvalidToken
	}
	d := digestOf(b)
	c, ok, err := m.store.Take(ctx, branch, d)
	if err != nil {
		return err
	}
	// A store that answered with another cycle broke its contract: refuse.
	if !ok || c.Branch != branch || subtle.ConstantTimeCompare(c.Digest[:], d[:]) != 1 {
		return ErrInvalidToken
	}
	if !now.Before(c.Expires) {
		return ErrExpired
	}
	return nil
}

// Pending lists the cycles pending at now, by branch name, without their
// secrets.
func (m *Manager) Pending(ctx context.Context, now time.Time) ([]Pending, error) {
	cs, err := m.store.List(ctx, now)
	if err != nil {
		return nil, err
	}
	out := make([]Pending, len(cs))
	for i, c := range cs {
		out[i] = c.Pending()
	}
	return out, nil
}

// Revoke abandons branch's cycle, so its token stops working; ErrNoCycle
// when the branch has none.
func (m *Manager) Revoke(ctx context.Context, branch string) error {
	if err := CheckBranch(branch); err != nil {
		return err
	}
	found, err := m.store.Delete(ctx, branch)
	if err != nil {
		return err
	}
	if !found {
		return ErrNoCycle
	}
	return nil
}
