package server_test

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/tollgate/tollgate/api"
	"github.com/tollgate/tollgate/internal/conformance"
	"github.com/tollgate/tollgate/server"
)

// routeOf maps an op to the service route that runs it.
var routeOf = map[string]string{
	"pin": "/v1/pin", "password": "/v1/password", "dial": "/v1/dial",
	"lint": "/v1/lint", "hash.verify": "/v1/hash/verify",
}

// decodes reports whether a corpus request decodes into op's typed
// request, so that the service hands it to the engine.
var decodes = map[string]func([]byte) error{
	"pin":         func(b []byte) error { var r api.PINRequest; return api.Decode(b, &r) },
	"password":    func(b []byte) error { var r api.PasswordRequest; return api.Decode(b, &r) },
	"dial":        func(b []byte) error { var r api.DialRequest; return api.Decode(b, &r) },
	"lint":        func(b []byte) error { var r api.LintRequest; return api.Decode(b, &r) },
	"hash.verify": func(b []byte) error { var r api.HashVerifyRequest; return api.Decode(b, &r) },
}

// TestCorpusThroughService sends every corpus case whose op has a route
// through the service, on each engine, and requires the engine's own
// answer (api.Do: the JSON adapter every host shares) byte for byte, with
// the status its error calls for: the service adds transport, not
// behaviour. (That the engines agree with each other is the engines'
// parity test.)
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
	// Through a recorder: every request that decodes must reach this
	// engine, so that the comparison cannot pass on a service answering
	// from another.
	rec := newRecorderOn(eng)
	url, _ := start(t, server.Config{Engine: rec})
	n, decoded := 0, 0
	for _, c := range cases {
		path, ok := routeOf[c.Op]
		if !ok {
			continue
		}
		n++
		if decodes[c.Op](c.Request) == nil {
			decoded++
		}
		want, opErr := api.Do(context.Background(), eng, c.Op, c.Request, nil)
		r := do(t, "POST", url+path, string(c.Request))
		got := bytes.TrimSuffix(r.body, []byte("\n"))
		if c.Op == "dial" {
			// The one difference: the service's dial takes a caller too,
			// and an unknown member's error lists it.
			got = bytes.Replace(got, []byte("feature, number, caller"), []byte("feature, number"), 1)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s (%s): service %d %s\n  api %s", c.ID(), c.Pos(), r.status, got, want)
			continue
		}
		wantStatus := 200
		var ae *api.Error
		switch {
		case errors.As(opErr, &ae) && ae.Code == api.ErrUnknownOp:
			wantStatus = 501 // this engine lacks the op
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
	if reached != decoded || n < 300 || decoded < n/2 {
		t.Errorf("%d corpus cases sent, %d decode, %d reached the %s engine", n, decoded, reached, kind)
	}
	t.Logf("%d corpus cases through the service, %d of them to the engine", n, reached)
}
