package srsv_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/tollgate/tollgate/core/srsv"
	"github.com/tollgate/tollgate/core/srsv/srsvtest"
)

// TestMemoryStore holds MemoryStore to the contract every Store keeps.
func TestMemoryStore(t *testing.T) {
	srsvtest.TestStore(t, func(*testing.T) srsv.Store { return srsv.NewMemoryStore() })
}

// A provisioning cycle of one branch: the central server issues a token
// and hands it to the branch; the branch presents it when provisioning is
// done; it works once. Production code passes crypto/rand.Reader and
// time.Now(); here both are fixed, so the output is too.
func Example() {
	ctx := context.Background()
	m := srsv.New(srsv.Options{TTL: 30 * time.Minute}) // a MemoryStore
	random := bytes.NewReader(append([]byte{
		0x3f, 0x2b, 0x8c, 0x1d, 0x94, 0x07, 0x4e, 0x11, 0xa2, 0x5c, 0x60, 0xd3, 0x7e, 0x19, 0xb4, 0x85},
		make([]byte, 16)...))
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

	tok, p, err := m.Issue(ctx, now, random, "raleigh")
	if err != nil {
		panic(err)
	}
	fmt.Println("for the branch:", tok.Reveal())
	fmt.Println("in a log line:", tok)
	fmt.Println("pending:", p.Branch, "until", p.Expires.Format(time.Kitchen))

	_, _, err = m.Issue(ctx, now, random, "raleigh")
	fmt.Println("again:", err)

	fmt.Println("wrong token:", m.Redeem(ctx, now.Add(time.Minute), "raleigh", "3f2b8c1d-9407-4e11-a25c-60d37e19b486"))
	fmt.Println("right token:", m.Redeem(ctx, now.Add(20*time.Minute), "raleigh", tok.Reveal()))
	fmt.Println("replayed:", m.Redeem(ctx, now.Add(21*time.Minute), "raleigh", tok.Reveal()))

	list, _ := m.Pending(ctx, now.Add(21*time.Minute))
	fmt.Println("pending now:", len(list))
	// Output:
	// for the branch: 3f2b8c1d-9407-4e11-a25c-60d37e19b485
	// in a log line: srsv.Token(redacted)
	// pending: raleigh until 9:30AM
	// again: srsv: a provisioning cycle is already pending for the branch (revoke it first)
	// wrong token: srsv: no pending provisioning cycle of the branch matches the token
	// right token: <nil>
	// replayed: srsv: no pending provisioning cycle of the branch matches the token
	// pending now: 0
}
