package server_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"

	"github.com/tollgate/tollgate/host"
	"github.com/tollgate/tollgate/internal/server"
)

// The service as a handler: a PIN check with the service's default policy.
func Example() {
	eng, _ := host.New(context.Background(), "native", host.Options{})
	defer eng.Close()
	srv, _ := server.New(server.Config{Engine: eng, Policy: []byte(`"cuc"`)})

	req := httptest.NewRequest("POST", "/v1/pin", strings.NewReader(`{"pin":"345678"}`))
	req.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	srv.Handler().ServeHTTP(w, req)
	fmt.Print(w.Code, " ", w.Body)
	// Output:
	// 200 {"accepted":false,"reasons":[{"code":"sequential","message":"Do not use digits in ascending or descending order (like 123456 or 9876).","start":0,"end":6}]}
}
