package server_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tollgate/tollgate/api"
	"github.com/tollgate/tollgate/server"
)

// benchWriter is a ResponseWriter that keeps the status and drops the
// body, so that a benchmark measures the service, not a recorder.
type benchWriter struct {
	h      http.Header
	status int
}

func (w *benchWriter) Header() http.Header             { return w.h }
func (w *benchWriter) Write(b []byte) (int, error)     { return len(b), nil }
func (w *benchWriter) WriteHeader(status int)          { w.status = status }
func (w *benchWriter) SetReadDeadline(time.Time) error { return nil } // as a connection's

// BenchmarkHandler measures the service's own cost per request, without a
// network or a client, on a reused request: the handler on /healthz
// (routing, metrics, a JSON log record), on /v1/pin (plus body reading,
// the one decode into the typed request, the default policy, the typed
// engine call, the one encode of the answer, the verdict metrics and a
// longer log record), /v1/dial, and the engine call alone, per engine.
// dial-caller is what the Kamailio script asks (a caller, the Kamailio
// tables as the service's default): "handle" is the service as it runs,
// "document" the same service on an engine without LoadTables, which
// makes it send the tables document with every request; "velocity" the
// service as "handle", with velocity limits on the memory store.
//
//	go test -run '^$' -bench Handler -benchtime=200ms -count=3 ./server
func BenchmarkHandler(b *testing.B) {
	pinBody := []byte(`{"pin":"802163","context":{"extensions":["2001"]}}`)
	dialBody := []byte(`{"number":"9011442079460000"}`)
	callerBody := []byte(`{"caller":"2001","feature":"transfer","number":"95551234"}`)
	tables, err := os.ReadFile("../testdata/kamailio/tables.json")
	if err != nil {
		b.Fatal(err)
	}
	log := slog.New(slog.NewJSONHandler(io.Discard, nil)) // as serve --log json writes it
	for _, kind := range []string{"native", "wasm"} {
		eng := newEngine(b, kind)
		handler := func(b *testing.B, e api.Operations, tables api.TablesRef, with ...server.Config) http.Handler {
			var cfg server.Config
			if len(with) > 0 {
				cfg = with[0]
			}
			cfg.Engine, cfg.Policy, cfg.Tables = e, api.Profile("cuc"), tables
			cfg.Directory, cfg.Logger = directory{"2001": "Staff"}, log
			srv, err := server.New(cfg)
			if err != nil {
				b.Fatal(err)
			}
			return srv.Handler()
		}
		h := handler(b, eng, api.TablesRef{})
		kamailio := handler(b, eng, api.TablesJSON(tables))
		var tick atomic.Int64
		t0 := time.Now()
		velocity := handler(b, eng, api.TablesJSON(tables), server.Config{
			Now: func() time.Time { return t0.Add(time.Duration(tick.Add(1)) * 20 * time.Microsecond) },
			Velocity: &server.Velocity{Limits: []server.Limit{
				{Tier: "any", Scope: "caller", Calls: server.MaxLimitCalls, Window: time.Second},
				{Tier: "any", Scope: "site", Calls: server.MaxLimitCalls, Window: time.Second},
				{Tier: "high", Scope: "caller", Calls: 3, Window: 10 * time.Minute},
				{Tier: "high", Scope: "site", Calls: 20, Window: time.Hour},
			}}})
		serve := func(b *testing.B, h http.Handler, method, path string, body []byte) {
			rd := bytes.NewReader(body)
			req, err := http.NewRequest(method, "http://127.0.0.1:8700"+path, rd)
			if err != nil {
				b.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/json")
			req.RemoteAddr = "127.0.0.1:40000"
			// As net/http's: a context its connection cancels.
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			req = req.WithContext(ctx)
			w := &benchWriter{h: http.Header{}}
			b.ReportAllocs()
			for b.Loop() {
				rd.Reset(body)
				req.Body, req.ContentLength = io.NopCloser(rd), int64(len(body))
				clear(w.h)
				h.ServeHTTP(w, req)
				if w.status != http.StatusOK && w.status != 0 {
					b.Fatalf("%s %s = %d", method, path, w.status)
				}
			}
		}
		b.Run(kind+"/healthz", func(b *testing.B) { serve(b, h, "GET", "/healthz", nil) })
		b.Run(kind+"/pin", func(b *testing.B) { serve(b, h, "POST", "/v1/pin", pinBody) })
		b.Run(kind+"/dial", func(b *testing.B) { serve(b, h, "POST", "/v1/dial", dialBody) })
		b.Run(kind+"/engine-only", func(b *testing.B) {
			req := api.PINRequest{Policy: api.Profile("cuc"), PIN: "802163", Context: api.PINContext{Extensions: []string{"2001"}}}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := eng.CheckPIN(context.Background(), &req); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(kind+"/dial-caller/handle", func(b *testing.B) { serve(b, kamailio, "POST", "/v1/dial", callerBody) })
		// The same dial held to velocity limits on the memory store: a
		// per-caller and a site window for every call (tier "any") and
		// two for the high tier, which this number is not in, so each
		// call is checked against and recorded in two counters. The
		// service's clock moves 20 µs per call, so each window holds
		// 50 000 calls in steady state, under its limit: every call is
		// let through, and the oldest call leaves each window.
		b.Run(kind+"/dial-caller/velocity", func(b *testing.B) { serve(b, velocity, "POST", "/v1/dial", callerBody) })
		b.Run(kind+"/dial-caller/document", func(b *testing.B) {
			serve(b, handler(b, noLoads{eng}, api.TablesJSON(tables)), "POST", "/v1/dial", callerBody)
		})
	}
}
