package server_test

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/tollgate/tollgate/api"
	"github.com/tollgate/tollgate/internal/conformance"
	"github.com/tollgate/tollgate/internal/server"
)

// routeOf maps an op to the service route that runs it.
var routeOf = map[string]string{
	"pin": "/v1/pin", "password": "/v1/password", "dial": "/v1/dial",
	"lint": "/v1/lint", "hash.verify": "/v1/hash/verify",
}

// TestCorpusThroughService sends every corpus case whose op has a route
// through the service, on each engine, and requires the engine's own
// answer byte for byte: the service adds transport, not behaviour. (That
// the engines agree with each other is host's parity test.)
func TestCorpusThroughService(t *testing.T) {
	dir, err := conformance.Dir()
	if err != nil {
		t.Fatal(err)
	}
	cases, err := conformance.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, kind := range []string{"native", "wasm"} {
		t.Run(kind, func(t *testing.T) { corpusThroughService(t, kind, cases) })
	}
}

func corpusThroughService(t *testing.T, kind string, cases []conformance.Case) {
	eng := newEngine(t, kind)
	// Through a recorder: every request must reach this engine, so that
	// the comparison cannot pass on a service answering from another.
	rec := newRecorderOn(eng)
	url, _ := start(t, server.Config{Engine: rec})
	n := 0
	for _, c := range cases {
		path, ok := routeOf[c.Op]
		if !ok {
			continue
		}
		n++
		want, opErr := eng.Do(context.Background(), c.Op, c.Request)
		r := do(t, "POST", url+path, string(c.Request))
		if got := bytes.TrimSuffix(r.body, []byte("\n")); !bytes.Equal(got, want) {
			t.Errorf("%s (%s): service %d %s\n  api %s", c.ID(), c.Pos(), r.status, got, want)
			continue
		}
		wantStatus := 200
		var ae *api.Error
		switch {
		case errors.As(opErr, &ae) && ae.Code == api.ErrUnknownOp:
			wantStatus = 501 // this engine's build lacks the op
		case opErr != nil:
			wantStatus = 400
		}
		if r.status != wantStatus {
			t.Errorf("%s: status %d, want %d (api error %v)", c.ID(), r.status, wantStatus, opErr)
		}
	}
	rec.mu.Lock()
	reached := len(rec.calls)
	rec.mu.Unlock()
	if reached != n || n < 300 {
		t.Errorf("%d corpus cases sent, %d reached the %s engine", n, reached, kind)
	}
	t.Logf("%d corpus cases through the service", n)
}
