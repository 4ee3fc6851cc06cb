package srsv

import (
	"context"
	"sync"
)

// MemoryStore is the in-process Store. Entries live as long as the process;
// expired ones are swept when a new cycle begins, using the new entry's
// creation time, so the store needs no clock of its own.
type MemoryStore struct {
	mu sync.Mutex
	m  map[string]Entry
}

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore() *MemoryStore { return &MemoryStore{m: map[string]Entry{}} }

// Create implements Store.
func (s *MemoryStore) Create(_ context.Context, branch string, e Entry) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.m[branch]; ok && e.Created.Before(old.Expires) {
		return ErrCycleInProgress
	}
	for b, old := range s.m {
		if !e.Created.Before(old.Expires) {
			delete(s.m, b)
		}
	}
	s.m[branch] = e
	return nil
}

// Get implements Store.
func (s *MemoryStore) Get(_ context.Context, branch string) (Entry, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.m[branch]
	return e, ok, nil
}

// CompareAndDelete implements Store.
func (s *MemoryStore) CompareAndDelete(_ context.Context, branch string, e Entry) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if cur, ok := s.m[branch]; ok && cur.Token == e.Token {
		delete(s.m, branch)
		return true, nil
	}
	return false, nil
}

// Delete implements Store.
func (s *MemoryStore) Delete(_ context.Context, branch string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, branch)
	return nil
}

// Len is the number of entries held, expired ones included until swept.
func (s *MemoryStore) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.m)
}
