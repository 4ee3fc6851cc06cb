package server_test

import (
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tollgate/tollgate/server"
)

const stampLayout = "2006-01-02T15:04:05.000Z"

// TestSRSVRoutes: a token is issued once, works once, expires, is listed
// without its value, and is in no log record (the service logs route,
// branch and outcome).
func TestSRSVRoutes(t *testing.T) {
	var mu sync.Mutex
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	var logs syncBuffer
	url, _ := start(t, server.Config{AdminToken: "adm1n", Token: "t0ken", Now: clock, SRSVTTL: 10 * time.Minute,
		Logger: slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	admin := []string{"Authorization", "Bearer adm1n"}
	verdict := []string{"Authorization", "Bearer t0ken"}
	issue := func(branch string) string {
		t.Helper()
		r := do(t, "POST", url+"/v1/srsv/"+branch, `{}`, admin...)
		var a struct{ Branch, Token, Issued, Expires string }
		if err := json.Unmarshal(r.body, &a); err != nil || r.status != 201 || a.Branch != strings.ReplaceAll(branch, "%2F", "/") ||
			a.Issued != clock().Format(stampLayout) || a.Expires != clock().Add(10*time.Minute).Format(stampLayout) || len(a.Token) != 36 {
			t.Fatalf("issue %s = %d %s", branch, r.status, r.body)
		}
		return a.Token
	}
	redeem := func(branch, token string) int {
		t.Helper()
		return do(t, "POST", url+"/v1/srsv/"+branch+"/redeem", `{"token":"`+token+`"}`, verdict...).status
	}
	a, b := issue("branch-a"), issue("site%2F2")
	if r := do(t, "POST", url+"/v1/srsv/branch-a", `{}`, verdict...); r.status != 403 {
		t.Errorf("issue with the verdict token: %d, want 403", r.status)
	}
	if r := do(t, "POST", url+"/v1/srsv/branch-a/redeem", `{"token":"`+a+`"}`); r.status != 401 {
		t.Errorf("redeem without the service token: %d, want 401", r.status)
	}
	r := do(t, "GET", url+"/v1/srsv", "", admin...)
	if r.status != 200 || string(r.body) != `{"pending":[{"branch":"branch-a","issued":"2026-03-02T09:00:00.000Z","expires":"2026-03-02T09:10:00.000Z"},{"branch":"site/2","issued":"2026-03-02T09:00:00.000Z","expires":"2026-03-02T09:10:00.000Z"}]}`+"\n" {
		t.Errorf("list = %d %s", r.status, r.body)
	}
	if got := redeem("site%2F2", a); got != 403 {
		t.Errorf("another branch's token: %d, want 403", got)
	}
	if got := redeem("branch-a", a); got != 200 {
		t.Errorf("redeem: %d, want 200", got)
	}
	if got := redeem("branch-a", a); got != 403 {
		t.Errorf("redeem again: %d, want 403", got)
	}
	mu.Lock()
	now = now.Add(10 * time.Minute)
	mu.Unlock()
	if got := redeem("site%2F2", b); got != 410 {
		t.Errorf("redeem at the expiry: %d, want 410", got)
	}
	if got := redeem("site%2F2", b); got != 403 {
		t.Errorf("redeem after the expiry: %d, want 403", got)
	}
	c := issue("branch-a") // the redeemed branch may start again
	if r := do(t, "DELETE", url+"/v1/srsv/branch-a", "", admin...); r.status != 200 {
		t.Errorf("revoke = %d %s", r.status, r.body)
	}
	if got := redeem("branch-a", c); got != 403 {
		t.Errorf("a revoked token: %d, want 403", got)
	}
	for _, tok := range []string{a, b, c, strings.ReplaceAll(a, "-", "")} {
		if strings.Contains(logs.String(), tok) {
			t.Errorf("the log holds a token:\n%s", logs.String())
		}
	}
	if !strings.Contains(logs.String(), `"op":"srsv.redeem"`) || !strings.Contains(logs.String(), `"outcome":"redeemed"`) {
		t.Errorf("the log does not record the redemptions:\n%s", logs.String())
	}
}
