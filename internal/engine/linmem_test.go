//go:build (linux || darwin || freebsd) && (amd64 || arm64 || riscv64 || ppc64le || s390x || loong64)

package engine

import (
	"context"
	"testing"
	"unsafe"

	"github.com/tollgate/tollgate/api"
)

// An instance's linear memory is mapped outside the Go heap and grows in
// place (linmem_unix.go): a grow that wazero's default would make by
// copying the whole memory into a new Go slice leaves its address where
// it was, and the instance still answers.
func TestLinearMemoryGrowsInPlace(t *testing.T) {
	ctx := context.Background()
	e := newTestWasm(t, sizes(1, 1))
	w, err := e.main.get(ctx)
	if err != nil {
		t.Fatal(err)
	}
	base := func() unsafe.Pointer {
		b, ok := w.mem.Read(0, 1)
		if !ok {
			t.Fatal("no memory")
		}
		return unsafe.Pointer(unsafe.SliceData(b))
	}
	before, size := base(), w.mem.Size()
	// A request larger than the scratch buffer: the guest grows its
	// buffer, and its heap grows the memory.
	req := api.Append(nil, &api.PINRequest{PIN: "135792"})
	big := make([]byte, 0, 12<<20)
	big = append(big, req[:len(req)-1]...)
	big = append(big, `,"ignored":"`...)
	for len(big) < 12<<20 {
		big = append(big, 'x')
	}
	big = append(big, `"}`...)
	if _, _, err := w.do(ctx, "pin", big); err != nil {
		t.Fatal(err)
	}
	if w.mem.Size() <= size+8<<20 {
		t.Fatalf("memory %d → %d bytes: the call did not grow it", size, w.mem.Size())
	}
	if after := base(); after != before {
		t.Errorf("the memory moved on grow (%p → %p): it is not the mapped allocator's", before, after)
	}
	if _, ok := w.mem.Read(w.mem.Size()-1, 1); !ok {
		t.Error("the memory's last byte is not readable")
	}
	e.main.put(w, nil)
	if v, err := e.CheckPIN(ctx, &api.PINRequest{PIN: "135792"}); err != nil || !v.Accepted {
		t.Errorf("after the grow: %+v, %v", v, err)
	}
}

// Reallocate commits in place up to the reservation and refuses past it;
// Free unmaps.
func TestMappedMemory(t *testing.T) {
	m := newMappedMemory(0, 4<<20).(*mappedMemory)
	b := m.Reallocate(64 << 10)
	if len(b) != 64<<10 {
		t.Fatalf("len %d", len(b))
	}
	b[len(b)-1] = 7
	c := m.Reallocate(2 << 20)
	if unsafe.SliceData(c) != unsafe.SliceData(b) || c[64<<10-1] != 7 {
		t.Error("grow moved the memory or lost its bytes")
	}
	c[len(c)-1] = 1
	if m.Reallocate(8<<20) != nil {
		t.Error("a grow past the reservation succeeded")
	}
	m.Free()
	m.Free()
}
