package server_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"

	"github.com/tollgate/tollgate/host"
	"github.com/tollgate/tollgate/internal/server"
)

// BenchmarkHandler measures the service's own cost per request, without a
// network: the handler on /healthz (routing, logging off, metrics), on
// /v1/pin (plus body reading, the default policy, the engine call and the
// verdict metrics), and the engine call alone, per engine. dial-caller is
// what the Kamailio script asks (a caller, the Kamailio tables as the
// service's default): "handle" is the service as it runs, "document" the
// same service on an engine without policy.load/tables.load, which makes
// it copy the tables document into every request (the service before it
// loaded its defaults once); their ratio is the saving.
//
//	go test -run '^$' -bench Handler -benchtime=200ms -count=3 ./internal/server
func BenchmarkHandler(b *testing.B) {
	body := []byte(`{"pin":"802163","context":{"extensions":["2001"]}}`)
	dialBody := []byte(`{"caller":"2001","feature":"transfer","number":"95551234"}`)
	tables, err := os.ReadFile("../../testdata/kamailio/tables.json")
	if err != nil {
		b.Fatal(err)
	}
	for _, kind := range []string{"native", "wasm"} {
		eng, err := host.New(context.Background(), kind, host.Options{})
		if err != nil {
			b.Fatal(err)
		}
		defer eng.Close()
		handler := func(b *testing.B, e server.Engine) http.Handler {
			srv, err := server.New(server.Config{Engine: e, Policy: []byte(`"cuc"`), Tables: tables,
				Directory: directory{"2001": "Staff"}})
			if err != nil {
				b.Fatal(err)
			}
			return srv.Handler()
		}
		h := handler(b, eng)
		serve := func(b *testing.B, h http.Handler, method, path string, body []byte) {
			b.ReportAllocs()
			for b.Loop() {
				req := httptest.NewRequest(method, path, bytes.NewReader(body))
				if body != nil {
					req.Header.Set("Content-Type", "application/json")
				}
				w := httptest.NewRecorder()
				h.ServeHTTP(w, req)
				if w.Code != http.StatusOK {
					b.Fatalf("%s %s = %d %s", method, path, w.Code, w.Body)
				}
			}
		}
		b.Run(kind+"/healthz", func(b *testing.B) { serve(b, h, "GET", "/healthz", nil) })
		b.Run(kind+"/pin", func(b *testing.B) { serve(b, h, "POST", "/v1/pin", body) })
		b.Run(kind+"/engine-only", func(b *testing.B) {
			req := []byte(`{"policy":"cuc","pin":"802163","context":{"extensions":["2001"]}}`)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := eng.Do(context.Background(), "pin", req); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(kind+"/dial-caller/handle", func(b *testing.B) { serve(b, h, "POST", "/v1/dial", dialBody) })
		b.Run(kind+"/dial-caller/document", func(b *testing.B) {
			serve(b, handler(b, noLoads{eng}), "POST", "/v1/dial", dialBody)
		})
	}
}
