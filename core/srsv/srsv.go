// Package srsv keeps the shared secrets of Unity Connection SRSV
// provisioning: for each provisioning cycle of a branch, the central server
// generates a one-time token and shares it with the branch's SRSV server;
// when provisioning completes, the branch notifies the central server with
// the same token, and the token is removed (seed 000, "Cisco Unity
// Connection SRSV Passwords and Shared Secrets").
//
// Tokens are random (version 4) UUIDs drawn from crypto/rand, compared in
// constant time, usable once, removed when the cycle completes and refused
// after a configurable lifetime. Where tokens live is a Store; MemoryStore
// is the in-process default. A Manager is safe for concurrent use, and a
// token that two requests present at once completes exactly one of them.
//
// This is host code, not core: it needs randomness and a clock, both of
// which can be injected for tests. Nothing here logs or returns a token
// except Begin, to the caller that must hand it to the branch.
package srsv

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"io"
	"time"

	"github.com/google/uuid"
)

// DefaultTTL is how long a token stays usable when Options.TTL is 0: long
// enough for a branch to provision a large directory, short enough that a
// token leaked from an abandoned cycle soon stops working.
const DefaultTTL = time.Hour

// maxBranchLen bounds a branch name, which is a map key and appears in
// errors.
const maxBranchLen = 256

// Errors. None of them carries the token.
var (
	ErrNoCycle         = errors.New("srsv: no provisioning cycle in progress for the branch")
	ErrCycleInProgress = errors.New("srsv: a provisioning cycle is already in progress for the branch")
	ErrExpired         = errors.New("srsv: the provisioning token expired")
	ErrInvalidToken    = errors.New("srsv: the provisioning token does not match")
	ErrBadBranch       = errors.New("srsv: branch name must be 1 to 256 bytes")
)

// Entry is one cycle's secret as a Store keeps it.
type Entry struct {
	Token   uuid.UUID
	Created time.Time
	Expires time.Time
}

// Store keeps one Entry per branch. Implementations must be safe for
// concurrent use. CompareAndDelete is what makes a token usable once: of
// two callers deleting the same entry, exactly one succeeds (an SQL store
// does DELETE ... WHERE branch = ? AND token = ?).
type Store interface {
	// Create stores e for branch unless the branch has an entry that has
	// not expired at e.Created (ErrCycleInProgress); an expired one is
	// replaced.
	Create(ctx context.Context, branch string, e Entry) error
	// Get returns the branch's entry, or ok false.
	Get(ctx context.Context, branch string) (e Entry, ok bool, err error)
	// CompareAndDelete removes the branch's entry if its token is still
	// e.Token, and reports whether it did.
	CompareAndDelete(ctx context.Context, branch string, e Entry) (bool, error)
	// Delete removes the branch's entry, if any.
	Delete(ctx context.Context, branch string) error
}

// Options configure a Manager; zero values take the defaults.
type Options struct {
	Store Store            // default: a new MemoryStore
	TTL   time.Duration    // default: DefaultTTL
	Now   func() time.Time // default: time.Now
	Rand  io.Reader        // default: crypto/rand.Reader
}

// Manager runs provisioning cycles.
type Manager struct {
	store Store
	ttl   time.Duration
	now   func() time.Time
	rand  io.Reader
}

// New returns a Manager.
func New(o Options) *Manager {
	m := &Manager{store: o.Store, ttl: o.TTL, now: o.Now, rand: o.Rand}
	if m.store == nil {
		m.store = NewMemoryStore()
	}
	if m.ttl <= 0 {
		m.ttl = DefaultTTL
	}
	if m.now == nil {
		m.now = time.Now
	}
	if m.rand == nil {
		m.rand = rand.Reader
	}
	return m
}

func checkBranch(b string) error {
	if b == "" || len(b) > maxBranchLen {
		return ErrBadBranch
	}
	return nil
}

// Begin starts a provisioning cycle for branch and returns its token, in
// the canonical 36-character UUID form, to be shared with the branch. A
// cycle still in progress is not replaced (ErrCycleInProgress): Cancel it
// first.
func (m *Manager) Begin(ctx context.Context, branch string) (string, error) {
	if err := checkBranch(branch); err != nil {
		return "", err
	}
	tok, err := uuid.NewRandomFromReader(m.rand)
	if err != nil {
		return "", errors.New("srsv: no randomness for a token: " + err.Error())
	}
	now := m.now()
	if err := m.store.Create(ctx, branch, Entry{Token: tok, Created: now, Expires: now.Add(m.ttl)}); err != nil {
		return "", err
	}
	return tok.String(), nil
}

// Complete ends branch's cycle when token is its secret: the token is
// verified in constant time and removed, so it works once. A wrong token
// leaves the cycle open (ErrInvalidToken); an expired one is removed
// (ErrExpired).
func (m *Manager) Complete(ctx context.Context, branch, token string) error {
	if err := checkBranch(branch); err != nil {
		return err
	}
	e, ok, err := m.store.Get(ctx, branch)
	if err != nil {
		return err
	}
	if !ok {
		return ErrNoCycle
	}
	if !m.now().Before(e.Expires) {
		if _, err := m.store.CompareAndDelete(ctx, branch, e); err != nil {
			return err
		}
		return ErrExpired
	}
	// Only the canonical form is accepted; uuid.Parse would also take
	// braces, a urn: prefix or no hyphens.
	presented, perr := uuid.Parse(token)
	canonical := perr == nil && len(token) == 36
	if subtle.ConstantTimeCompare(presented[:], e.Token[:]) != 1 || !canonical {
		return ErrInvalidToken
	}
	deleted, err := m.store.CompareAndDelete(ctx, branch, e)
	if err != nil {
		return err
	}
	if !deleted {
		return ErrNoCycle // another request completed this cycle first
	}
	return nil
}

// Cancel abandons branch's cycle, if any; its token stops working.
func (m *Manager) Cancel(ctx context.Context, branch string) error {
	if err := checkBranch(branch); err != nil {
		return err
	}
	return m.store.Delete(ctx, branch)
}
