package server_test

import (
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tollgate/tollgate/api"
	"github.com/tollgate/tollgate/server"
)

// TestSigninAdministratorMustUnlock: a service whose default policy says
// "administrator must unlock" the way seed 003 allows (a lockout duration
// of 0, or the check box alone) starts, and an account it locks stays
// locked until an unlock event, however long the clock runs; the same
// policy given inline in a request works too (issue 13).
func TestSigninAdministratorMustUnlock(t *testing.T) {
	docs := []string{
		`{"extends":"cucm","pin":{"lockout_minutes":0}}`,
		`{"extends":"cucm","pin":{"admin_must_unlock":true}}`,
		`{"extends":"cuc","pin":{"admin_must_unlock":true}}`,
	}
	type decision struct {
		Code            string
		Allowed         bool
		Locked          bool
		LockedUntil     *string `json:"locked_until"`
		AdminMustUnlock bool    `json:"admin_must_unlock"`
	}
	for _, kind := range []string{"native", "wasm"} {
		for _, doc := range docs {
			t.Run(kind+"/"+doc, func(t *testing.T) {
				now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
				var mu sync.Mutex
				clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
				advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
				// One service has the policy as its default; the other
				// defaults to cuc's 30-minute lockout, and the requests
				// carry the policy inline.
				byDefault, _ := start(t, server.Config{Engine: newEngine(t, kind), Policy: api.PolicyJSON([]byte(doc)), Now: clock, AdminToken: "adm1n"})
				inline, _ := start(t, server.Config{Engine: newEngine(t, kind), Policy: api.Profile("cuc"), Now: clock, AdminToken: "adm1n"})
				policy := map[string]string{byDefault: "", inline: `,"policy":` + doc}
				event := func(url, ev string) decision {
					t.Helper()
					body := `{"event":"` + ev + `"` + policy[url] + `}`
					r := do(t, "POST", url+"/v1/signin/alice", body, "Authorization", "Bearer adm1n") // unlock is an administrator's
					var a struct{ Decision decision }
					if err := json.Unmarshal(r.body, &a); err != nil || r.status != 200 {
						t.Fatalf("signin %s = %d %s", body, r.status, r.body)
					}
					return a.Decision
				}
				for _, url := range []string{byDefault, inline} {
					var d decision
					for range 3 {
						d = event(url, "failure")
					}
					if !d.Locked || !d.AdminMustUnlock || d.LockedUntil != nil {
						t.Fatalf("third failure: %+v; want locked for an administrator, no locked_until", d)
					}
				}
				advance(48 * time.Hour)
				for _, url := range []string{byDefault, inline} {
					if d := event(url, "success"); d.Allowed || d.Code != "locked" {
						t.Errorf("two days later: %+v; want still locked", d)
					}
					if d := event(url, "unlock"); d.Locked {
						t.Errorf("unlock: %+v", d)
					}
					if d := event(url, "success"); !d.Allowed {
						t.Errorf("after unlock: %+v; want allowed", d)
					}
				}
				// /v1/pin with the policy inline: a policy, not an error.
				r := do(t, "POST", inline+"/v1/pin", `{"pin":"73916482","policy":`+doc+`}`)
				if r.status != 200 || !strings.Contains(string(r.body), `"accepted":true`) {
					t.Errorf("/v1/pin with policy %s = %d %s", doc, r.status, r.body)
				}
			})
		}
	}
}

// TestNewRefusesContradictoryLockout: a default policy that says both
// "administrator must unlock" and a lockout duration is refused when the
// service starts, naming the field, its value and the allowed range.
func TestNewRefusesContradictoryLockout(t *testing.T) {
	for _, tc := range []struct{ doc, field, msg string }{
		{`{"extends":"cucm","pin":{"admin_must_unlock":true,"lockout_minutes":30}}`, "pin.lockout_minutes", "30 is out of range 0 (admin_must_unlock is true"},
		{`{"extends":"cucm","pin":{"admin_must_unlock":false,"lockout_minutes":0}}`, "pin.lockout_minutes", "0 is out of range 1..1440"},
	} {
		_, err := server.New(server.Config{Engine: newEngine(t, "native"), Policy: api.PolicyJSON([]byte(tc.doc))})
		var ae *api.Error
		if !errors.As(err, &ae) || ae.Code != api.ErrInvalidPolicy || ae.Field != tc.field || !strings.Contains(ae.Message, tc.msg) {
			t.Errorf("New(%s) = %v; want invalid_policy on %s saying %q", tc.doc, err, tc.field, tc.msg)
		}
	}
}
