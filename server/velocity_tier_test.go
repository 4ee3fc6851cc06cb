package server_test

import (
	"os"
	"testing"
	"time"

	"github.com/tollgate/tollgate/api"
	"github.com/tollgate/tollgate/server"
)

// TestDialVelocityByTier: with a region declared, the limits are by the
// destination's tier: a burst to +882 (international network, high) is
// held to the high tier's limits, while the same caller's local calls
// (low) and another caller's are not; the site's high-tier limit holds
// every caller together.
func TestDialVelocityByTier(t *testing.T) {
	tables, err := os.ReadFile("../testdata/kamailio/velocity-tables.json")
	if err != nil {
		t.Fatal(err)
	}
	v, err := server.ParseVelocity([]byte(`{"limits": [
  {"tier": "high", "per": "caller", "calls": 3, "window": "10m"},
  {"tier": "high", "per": "site", "calls": 5, "window": "1h"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	clk := &clock{t: time.Date(2026, 12, 2, 3, 0, 0, 0, time.UTC)}
	url, _ := start(t, server.Config{Tables: api.TablesJSON(tables), Velocity: v, Now: clk.Now,
		Directory: directory{"2001": "Staff", "2002": "Staff", "2003": "Staff"}})
	dial := func(caller, number string) string {
		t.Helper()
		r := do(t, "POST", url+"/v1/dial", `{"caller":"`+caller+`","feature":"outdial","number":"`+number+`"}`)
		var d api.DialResult
		if err := api.Decode(r.body, &d); err != nil || r.status != 200 {
			t.Fatalf("%d %s: %v", r.status, r.body, err)
		}
		if d.Allowed {
			return d.Destination.Tier + ":allowed"
		}
		return d.Destination.Tier + ":" + string(d.Reason)
	}
	const irsf, local = "9011882161234567", "95551234"
	for i, c := range []struct{ caller, number, want string }{
		{"2001", irsf, "high:allowed"},
		{"2001", irsf, "high:allowed"},
		{"2001", irsf, "high:allowed"},
		{"2001", irsf, "high:velocity"},
		{"2001", irsf, "high:velocity"},
		{"2001", local, "low:allowed"}, // not the high tier
		{"2001", local, "low:allowed"},
		{"2001", local, "low:allowed"},
		{"2001", local, "low:allowed"},
		{"2002", irsf, "high:allowed"}, // another caller: the site's 4th and 5th
		{"2002", irsf, "high:allowed"},
		{"2003", irsf, "high:velocity"}, // the site's high tier is spent
		{"2003", local, "low:allowed"},
		{"2001", "900", "low:matched"}, // the table decides first
	} {
		if got := dial(c.caller, c.number); got != c.want {
			t.Errorf("call %d: %s dials %s: %s, want %s", i, c.caller, c.number, got, c.want)
		}
	}
	// Ten minutes on: 2001's window has slid, the site's (an hour) has not.
	clk.Set(clk.Now().Add(10 * time.Minute))
	if got := dial("2001", irsf); got != "high:velocity" {
		t.Errorf("after 10 minutes, the site's hour still full: %s, want high:velocity", got)
	}
	clk.Set(clk.Now().Add(time.Hour))
	if got := dial("2001", irsf); got != "high:allowed" {
		t.Errorf("an hour later: %s, want high:allowed", got)
	}
}
