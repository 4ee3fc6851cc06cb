package server_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tollgate/tollgate/host"
	"github.com/tollgate/tollgate/internal/server"
)

// Regression tests for the findings of the attack on tollgate (issue 14)
// that this package guards, one per finding and named after it. The
// threat model and the limits are in docs/security.md.

// expensiveVerify is a hash.verify at the iteration cap: PBKDF2-SHA512 at
// 1 000 000 iterations, about 0.8 s natively and 8 s in the wasm engine.
const expensiveVerify = `{"record":"{PBKDF2-SHA512}1000000$AAAAAAAAAAAAAAAAAAAAAA$` +
	`AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA","secret":"x"}`

type pooled interface {
	host.Engine
	Pools() []host.PoolStats
}

func heavyPool(e pooled) host.PoolStats { return e.Pools()[1] }

// waitFor polls cond until it holds or a generous deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(20 * time.Second); time.Now().Before(end); time.Sleep(time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

// TestAttackHashVerifyFreezesServe (issue 14 item 1): two unauthenticated
// /v1/hash/verify requests at the (old) iteration cap held every instance
// for 24 s each, past the write timeout, and the service answered nothing.
// Now every operation has a deadline (here 150 ms) that stops the work:
// both expensive requests answer 503 deadline_exceeded, naming the
// operation, PIN and dial requests sent meanwhile are answered, and the
// wasm instance that was stopped is replaced.
func TestAttackHashVerifyFreezesServe(t *testing.T) {
	for _, kind := range []string{"native", "wasm"} {
		t.Run(kind, func(t *testing.T) {
			eng := newEngine(t, kind).(pooled)
			url, _ := start(t, server.Config{Engine: eng, OpTimeout: 150 * time.Millisecond})
			var wg sync.WaitGroup
			expensive := make([]reply, 2)
			for i := range expensive {
				wg.Add(1)
				go func() {
					defer wg.Done()
					expensive[i] = do(t, "POST", url+"/v1/hash/verify", expensiveVerify)
				}()
			}
			waitFor(t, "the heavy pool to be busy", func() bool { return heavyPool(eng).Busy > 0 })
			for i := range 10 {
				if r := do(t, "POST", url+"/v1/pin", `{"pin":"135792"}`); r.status != 200 {
					t.Errorf("PIN %d while the verifications run: %d %s", i, r.status, r.body)
				}
				if r := do(t, "POST", url+"/v1/dial", `{"number":"9011442079460000"}`); r.status != 200 {
					t.Errorf("dial %d while the verifications run: %d %s", i, r.status, r.body)
				}
			}
			wg.Wait()
			for i, r := range expensive {
				if r.status != http.StatusServiceUnavailable || r.errorCode() != server.ErrDeadline ||
					!strings.Contains(string(r.body), "hash.verify did not finish within its deadline") {
					t.Errorf("expensive request %d = %d %s; want 503 deadline_exceeded naming hash.verify", i, r.status, r.body)
				}
				if strings.Contains(string(r.body), "stack") {
					t.Errorf("expensive request %d: the answer carries a stack trace: %s", i, r.body)
				}
			}
			hp := heavyPool(eng)
			// One was stopped while it ran; the other waited for the one
			// heavy instance (this machine's GOMAXPROCS/2, at least 1) or
			// ran after it, and was stopped too.
			if hp.Deadlines < 1 {
				t.Errorf("heavy pool %+v: no call was stopped by its deadline", hp)
			}
			if kind == "wasm" && hp.Discarded != hp.Deadlines {
				t.Errorf("heavy pool %+v: every wasm instance a deadline stopped must be discarded", hp)
			}
			// The heavy pool answers again, on a replaced instance.
			if r := do(t, "POST", url+"/v1/hash/verify", `{"record":"{SHA}fEqNCco3Yq9h5ZUglD3CZJT4lBs=","secret":"123456"}`); r.status != 200 {
				t.Errorf("hash.verify after the deadlines = %d %s", r.status, r.body)
			}
		})
	}
}

// TestAttackHashVerifyClientHangsUp (issue 14 item 1): the work went on
// after the client hung up. The request's context now reaches the engine,
// which stops the work when the client goes.
func TestAttackHashVerifyClientHangsUp(t *testing.T) {
	eng := newEngine(t, "native").(pooled)
	url, _ := start(t, server.Config{Engine: eng, OpTimeout: time.Minute})
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "POST", url+"/v1/hash/verify", strings.NewReader(expensiveVerify))
	req.Header.Set("Content-Type", "application/json")
	done := make(chan struct{})
	go func() {
		defer close(done)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
	}()
	waitFor(t, "the verification to start", func() bool { return heavyPool(eng).Busy > 0 })
	cancel()
	<-done
	waitFor(t, "the engine to stop the abandoned verification", func() bool { return heavyPool(eng).Deadlines == 1 })
}
