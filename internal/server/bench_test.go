package server_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/tollgate/tollgate/host"
	"github.com/tollgate/tollgate/internal/server"
)

// BenchmarkHandler measures the service's own cost per request, without a
// network: the handler on /healthz (routing, logging off, metrics), on
// /v1/pin (plus body reading, the default policy, the engine call and the
// verdict metrics), and the engine call alone, per engine.
//
//	go test -run '^$' -bench Handler -benchtime=200ms -count=3 ./internal/server
func BenchmarkHandler(b *testing.B) {
	body := []byte(`{"pin":"802163","context":{"extensions":["2001"]}}`)
	for _, kind := range []string{"native", "wasm"} {
		eng, err := host.New(context.Background(), kind, host.Options{})
		if err != nil {
			b.Fatal(err)
		}
		defer eng.Close()
		srv, err := server.New(server.Config{Engine: eng, Policy: []byte(`"cuc"`)})
		if err != nil {
			b.Fatal(err)
		}
		h := srv.Handler()
		serve := func(b *testing.B, method, path string, body []byte) {
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
		b.Run(kind+"/healthz", func(b *testing.B) { serve(b, "GET", "/healthz", nil) })
		b.Run(kind+"/pin", func(b *testing.B) { serve(b, "POST", "/v1/pin", body) })
		b.Run(kind+"/engine-only", func(b *testing.B) {
			req := []byte(`{"policy":"cuc","pin":"802163","context":{"extensions":["2001"]}}`)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := eng.Do(context.Background(), "pin", req); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
