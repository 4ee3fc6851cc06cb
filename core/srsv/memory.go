package srsv

import (
	"context"
	"crypto/subtle"
	"errors"
	"slices"
	"strings"
	"sync"
	"time"
)

// MaxMemoryCycles bounds a MemoryStore: far more branches than a central
// server provisions, few enough that a flood of Issue calls cannot grow
// the process without end.
const MaxMemoryCycles = 65536

// ErrStoreFull is MemoryStore's answer to a new cycle beyond
// MaxMemoryCycles pending ones.
var ErrStoreFull = errors.New("srsv: the store holds its maximum of 65536 pending provisioning cycles")

// MemoryStore is the Store of one process. It reads no clock: a branch's
// expired cycle is replaced when the branch gets a new one, and expired
// cycles are swept when the store is full (at the new cycle's Issued time)
// and when the cycles are listed (at the time given).
type MemoryStore struct {
	mu sync.Mutex
	m  map[string]Cycle
}

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore() *MemoryStore { return &MemoryStore{m: map[string]Cycle{}} }

func (s *MemoryStore) sweep(now time.Time) {
	for b, c := range s.m {
		if !now.Before(c.Expires) {
			delete(s.m, b)
		}
	}
}

// Create implements Store.
func (s *MemoryStore) Create(_ context.Context, c Cycle) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	old, ok := s.m[c.Branch]
	if ok && c.Issued.Before(old.Expires) {
		return ErrCycleInProgress
	}
	if !ok && len(s.m) >= MaxMemoryCycles {
		s.sweep(c.Issued)
		if len(s.m) >= MaxMemoryCycles {
			return ErrStoreFull
		}
	}
	s.m[c.Branch] = c
	return nil
}

// Take implements Store.
func (s *MemoryStore) Take(_ context.Context, branch string, d Digest) (Cycle, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.m[branch]
	if !ok || subtle.ConstantTimeCompare(c.Digest[:], d[:]) != 1 {
		return Cycle{}, false, nil
	}
	delete(s.m, branch)
	return c, true, nil
}

// List implements Store.
func (s *MemoryStore) List(_ context.Context, now time.Time) ([]Cycle, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sweep(now)
	out := make([]Cycle, 0, len(s.m))
	for _, c := range s.m {
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b Cycle) int { return strings.Compare(a.Branch, b.Branch) })
	return out, nil
}

// Delete implements Store.
func (s *MemoryStore) Delete(_ context.Context, branch string) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.m[branch]
	delete(s.m, branch)
	return ok, nil
}

// Len is the number of cycles held, expired ones included until swept.
func (s *MemoryStore) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.m)
}
