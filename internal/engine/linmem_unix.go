//go:build (linux || darwin || freebsd) && (amd64 || arm64 || riscv64 || ppc64le || s390x || loong64)

package engine

import (
	"context"
	"syscall"

	"github.com/tetratelabs/wazero/experimental"
)

// An instance's linear memory is mapped outside the Go heap. wazero's
// default backs it with a Go slice that grows by append: every grow copies
// the whole memory into a new slice and leaves the old one as garbage, and
// the slice counts in the host collector's heap goal, so the Go heap holds
// about twice the guest's memory (docs/performance.md, "Memory"). Here the
// instance reserves its cap of address space once (no memory is used by a
// reservation), each grow makes the next pages writable in place, and the
// instance's close unmaps them: resident memory is what the guest touched,
// nothing is copied, and the host's collector never sees it.
//
// 64-bit Unix only: a reservation of the cap (128 MiB by default) per
// instance is free there; elsewhere wazero's default applies.

// withLinearMemory returns ctx with the mapped allocator.
func withLinearMemory(ctx context.Context) context.Context {
	return experimental.WithMemoryAllocator(ctx, experimental.MemoryAllocatorFunc(newMappedMemory))
}

type mappedMemory struct {
	buf       []byte // the whole reservation
	committed uint64 // bytes made writable
}

func newMappedMemory(_, max uint64) experimental.LinearMemory {
	m := &mappedMemory{}
	if max == 0 {
		return m
	}
	b, err := syscall.Mmap(-1, 0, int(max), syscall.PROT_NONE, syscall.MAP_PRIVATE|syscall.MAP_ANON|mapNoReserve)
	if err != nil {
		return &sliceMemory{}
	}
	m.buf = b
	return m
}

// Reallocate makes the first size bytes usable; nil when size passes the
// reservation or the kernel refuses (the guest's grow then fails).
func (m *mappedMemory) Reallocate(size uint64) []byte {
	if size > uint64(len(m.buf)) {
		return nil
	}
	if size > m.committed {
		if err := syscall.Mprotect(m.buf[m.committed:size], syscall.PROT_READ|syscall.PROT_WRITE); err != nil {
			return nil
		}
		m.committed = size
	}
	return m.buf[:size:size]
}

func (m *mappedMemory) Free() {
	if m.buf != nil {
		_ = syscall.Munmap(m.buf)
		m.buf = nil
		m.committed = 0
	}
}

// sliceMemory is wazero's default, for a reservation the kernel refused.
type sliceMemory struct{ buf []byte }

func (s *sliceMemory) Reallocate(size uint64) []byte {
	if size > uint64(cap(s.buf)) {
		s.buf = append(s.buf[:cap(s.buf)], make([]byte, size-uint64(cap(s.buf)))...)
	}
	s.buf = s.buf[:size]
	return s.buf
}

func (s *sliceMemory) Free() { s.buf = nil }
