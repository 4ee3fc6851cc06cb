package server_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tollgate/tollgate/api"
	"github.com/tollgate/tollgate/internal/countertest"
	"github.com/tollgate/tollgate/server"
)

func TestParseVelocity(t *testing.T) {
	good := `{
  "after_hours": {"from": "19:00", "to": "07:00", "days": ["sat", "Sun"], "time_zone": "Europe/Paris"},
  "limits": [
    {"tier": "high", "per": "caller", "calls": 3, "window": "10m"},
    {"tier": "high", "per": "site", "calls": 20, "window": "1h"},
    {"tier": "any", "per": "caller", "calls": 1, "window": "1h", "when": "after_hours"}
  ]
}`
	v, err := server.ParseVelocity([]byte(good))
	if err != nil {
		t.Fatal(err)
	}
	paris, _ := time.LoadLocation("Europe/Paris")
	want := server.Velocity{
		AfterHours: &server.Hours{From: 19 * 60, To: 7 * 60, Days: []time.Weekday{time.Saturday, time.Sunday}, Location: paris},
		Limits: []server.Limit{
			{Tier: "high", Scope: "caller", Calls: 3, Window: 10 * time.Minute},
			{Tier: "high", Scope: "site", Calls: 20, Window: time.Hour},
			{Tier: "any", Scope: "caller", Calls: 1, Window: time.Hour, AfterHours: true},
		},
	}
	if g, w := mustJSON(t, v), mustJSON(t, want); g != w {
		t.Errorf("ParseVelocity =\n%s\nwant\n%s", g, w)
	}
	for _, tc := range []struct{ doc, err string }{
		{`{"limits": [{"tier": "high", "per": "caller", "calls": 3, "window": "10x"}]}`, `line 1, column 69: limits[0].window: not a duration`},
		{"{\"limits\": [\n {\"tier\": \"premium\", \"per\": \"caller\", \"calls\": 3, \"window\": \"10m\"}]}", `line 2, column 11: limits[0].tier: want high, medium, low or any`},
		{`{"limits": [{"tier": "high", "per": "user", "calls": 3, "window": "10m"}]}`, `limits[0].per: want caller or site`},
		{`{"limits": [{"tier": "high", "per": "site", "calls": 0, "window": "10m"}]}`, `limits[0].calls: want 1 to 100000 calls`},
		{`{"limits": [{"tier": "high", "per": "site", "calls": 2.5, "window": "10m"}]}`, `limits[0].calls`},
		{`{"limits": [{"tier": "high", "per": "site", "calls": 3, "window": "500ms"}]}`, `limits[0].window: want 1s to 744h`},
		{`{"limits": [{"tier": "high", "per": "site", "calls": 3, "window": "1500ms"}]}`, `limits[0].window: want whole seconds`},
		{`{"limits": [{"tier": "high", "per": "site", "calls": 3}]}`, `line 1, column 13: limits[0]: missing window`},
		{`{"limits": [{"tier": "high", "per": "site", "calls": 3, "window": "1h", "windows": 1}]}`, `did you mean window?`},
		{`{"limits": [{"tier": "high", "per": "site", "calls": 3, "window": "1h", "tier": "low"}]}`, `limits[0].tier`},
		{`{"limits": [{"tier": "high", "per": "site", "calls": 3, "window": "1h"}, {"tier": "high", "per": "site", "calls": 5, "window": "60m"}]}`, `limits[1]: the same tier, per, window and when as limits[0]`},
		{`{"limits": [{"tier": "high", "per": "site", "calls": 3, "window": "1h", "when": "night"}]}`, `limits[0].when: want always or after_hours`},
		{`{"limits": [{"tier": "high", "per": "site", "calls": 3, "window": "1h", "when": "after_hours"}]}`, `column 81: a limit is for after_hours, and the document has no after_hours`},
		{`{"limits": []}`, `limits: at least one limit is needed`},
		{`{}`, `limits: at least one limit is needed`},
		{`{"limits": [{"tier": "high", "per": "site", "calls": 3, "window": "1h"}]} x`, `trailing data`},
		{`{"limits": [{"tier": "high", "per": "site", "calls": 3, "window": "1h"}], "after_hours": {"from": "7pm", "to": "07:00", "time_zone": "UTC"}}`, `after_hours.from: want a time of day, HH:MM`},
		{`{"limits": [{"tier": "high", "per": "site", "calls": 3, "window": "1h"}], "after_hours": {"from": "19:00", "to": "07:00", "time_zone": "Mars/Olympus"}}`, `after_hours.time_zone: unknown time zone`},
		{`{"limits": [{"tier": "high", "per": "site", "calls": 3, "window": "1h"}], "after_hours": {"from": "19:00", "to": "07:00"}}`, `after_hours: missing time_zone`},
		{`{"limits": [{"tier": "high", "per": "site", "calls": 3, "window": "1h"}], "after_hours": {"from": "19:00", "to": "19:00", "time_zone": "UTC"}}`, `after_hours: from and to are the same`},
		{`{"limits": [{"tier": "high", "per": "site", "calls": 3, "window": "1h"}], "after_hours": {"from": "19:00", "to": "07:00", "days": ["someday"], "time_zone": "UTC"}}`, `after_hours.days[0]: want a day`},
		{`{"limits": [{"tier": "high", "per": "site", "calls": 3, "window": "1h"}], "limits": []}`, `limits`},
		{`{"limits": [`, `malformed`},
	} {
		_, err := server.ParseVelocity([]byte(tc.doc))
		var ve *server.VelocityError
		if !errors.As(err, &ve) || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("ParseVelocity(%s) = %v; want a VelocityError saying %q", tc.doc, err, tc.err)
		}
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestHoursIn(t *testing.T) {
	ny, _ := time.LoadLocation("America/New_York")
	h := &server.Hours{From: 19 * 60, To: 7 * 60, Days: []time.Weekday{time.Sunday}, Location: ny}
	for _, tc := range []struct {
		at   string
		want bool
	}{
		{"2026-12-02T18:59:00-05:00", false}, // Wednesday
		{"2026-12-02T19:00:00-05:00", true},
		{"2026-12-03T02:00:00-05:00", true},
		{"2026-12-03T06:59:59-05:00", true},
		{"2026-12-03T07:00:00-05:00", false},
		{"2026-12-03T00:30:00Z", true},       // 19:30 in New York
		{"2026-12-06T12:00:00-05:00", true},  // Sunday noon
		{"2026-12-05T12:00:00-05:00", false}, // Saturday noon
	} {
		at, _ := time.Parse(time.RFC3339, tc.at)
		if got := h.In(at); got != tc.want {
			t.Errorf("In(%s) = %v, want %v", tc.at, got, tc.want)
		}
	}
	day := &server.Hours{From: 12 * 60, To: 14 * 60, Location: time.UTC}
	if at := time.Date(2026, 1, 1, 13, 0, 0, 0, time.UTC); !day.In(at) || day.In(at.Add(time.Hour)) {
		t.Error("a period within one day: wrong")
	}
}

func TestMemoryStoreCountsCalls(t *testing.T) {
	countertest.Contract(t, server.NewMemoryStore(), "")
}

func TestMemoryStoreCallContention(t *testing.T) {
	countertest.Contention(t, "velocity:caller:high:3600s:2001", server.NewMemoryStore())
}

func TestMemoryStoreCallsAreBounded(t *testing.T) {
	st := &server.MemoryStore{Max: 3}
	now := time.Now()
	for i, key := range []string{"a", "b", "c"} {
		if _, err := st.Admit(context.Background(), now, []server.Window{{Key: key, Span: time.Minute, Max: 1, Enforce: true}}); err != nil {
			t.Fatalf("counter %d: %v", i, err)
		}
	}
	_, err := st.Admit(context.Background(), now, []server.Window{{Key: "d", Span: time.Minute, Max: 1, Enforce: true}})
	if !errors.Is(err, server.ErrStoreFull) {
		t.Fatalf("a 4th counter in a store of 3: %v, want ErrStoreFull", err)
	}
	// Once the others have expired, room is made.
	if _, err := st.Admit(context.Background(), now.Add(2*time.Minute), []server.Window{{Key: "d", Span: time.Minute, Max: 1, Enforce: true}}); err != nil {
		t.Fatalf("after expiry: %v", err)
	}
}

// clock is a settable clock for a Server.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

func TestDialVelocity(t *testing.T) {
	tables, err := os.ReadFile("../testdata/kamailio/tables.json")
	if err != nil {
		t.Fatal(err)
	}
	v, err := server.ParseVelocity([]byte(`{
  "after_hours": {"from": "19:00", "to": "07:00", "time_zone": "UTC"},
  "limits": [
    {"tier": "any", "per": "caller", "calls": 3, "window": "10m"},
    {"tier": "any", "per": "site", "calls": 8, "window": "1h"},
    {"tier": "any", "per": "caller", "calls": 1, "window": "10m", "when": "after_hours"}
  ]}`))
	if err != nil {
		t.Fatal(err)
	}
	clk := &clock{t: time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)}
	var logs syncBuffer
	url, _ := start(t, server.Config{Tables: api.TablesJSON(tables), Velocity: v, Now: clk.Now, Logger: slog.New(slog.NewTextHandler(&logs, nil)),
		Directory: directory{"2001": "Staff", "2002": "Staff", "2003": "Staff", "2100": "Lobby"}})
	dial := func(caller, number string) api.DialResult {
		t.Helper()
		r := do(t, "POST", url+"/v1/dial", `{"caller":"`+caller+`","feature":"outdial","number":"`+number+`"}`)
		if r.status != 200 {
			t.Fatalf("dial %s from %s: %d %s", number, caller, r.status, r.body)
		}
		var d api.DialResult
		if err := api.Decode(r.body, &d); err != nil {
			t.Fatalf("%s: %v", r.body, err)
		}
		return d
	}
	expect := func(d api.DialResult, allowed bool, reason api.DialReason) {
		t.Helper()
		if d.Allowed != allowed || d.Reason != reason {
			t.Errorf("dial %s = allowed %v, reason %s; want %v, %s", d.Number, d.Allowed, d.Reason, allowed, reason)
		}
	}
	// By day: three calls of 2001 pass, the rest are refused for velocity,
	// with the row that allowed them.
	for i := range 5 {
		d := dial("2001", "95551234")
		if i < 3 {
			expect(d, true, api.DialMatched)
		} else {
			expect(d, false, api.DialVelocity)
			if d.Table != "Staff Outdial" || d.Row != 5 {
				t.Errorf("a velocity refusal names table %q row %d; want the row that allowed it", d.Table, d.Row)
			}
		}
	}
	// A call the table blocks is blocked for its row, and counts nothing.
	expect(dial("2002", "9011442079460000"), false, api.DialMatched)
	expect(dial("2002", "9011442079460000"), false, api.DialMatched)
	expect(dial("2002", "9011442079460000"), false, api.DialMatched)
	// Another caller is not held to 2001's count.
	for range 3 {
		expect(dial("2002", "95551234"), true, api.DialMatched)
	}
	expect(dial("2002", "95551234"), false, api.DialVelocity)
	// The site's window: 6 calls so far; 2 more pass, then everyone's refused.
	expect(dial("2003", "95551234"), true, api.DialMatched)
	expect(dial("2003", "95551234"), true, api.DialMatched)
	expect(dial("2003", "95551234"), false, api.DialVelocity)
	// An hour later everything has left the windows. At night, one call
	// per caller in 10 minutes.
	clk.Set(time.Date(2026, 12, 2, 23, 0, 0, 0, time.UTC))
	expect(dial("2001", "95551234"), true, api.DialMatched)
	expect(dial("2001", "95551234"), false, api.DialVelocity)
	expect(dial("2002", "95551234"), true, api.DialMatched)
	// A request without a caller is held to the site's limits only.
	r := do(t, "POST", url+"/v1/dial", `{"cos":"Staff","feature":"outdial","number":"95551234"}`)
	if !strings.Contains(string(r.body), `"allowed":true`) {
		t.Errorf("a dial by class of service at night: %s; want allowed (no per-caller limit applies)", r.body)
	}
	// The refusals are counted under their own code, and the log names
	// the limit.
	m := do(t, "GET", url+"/metrics", "")
	if want := `tollgate_verdicts_total{code="velocity",op="dial"} 5`; !strings.Contains(string(m.body), want) {
		t.Errorf("/metrics lacks %s", want)
	}
	if s := logs.String(); !strings.Contains(s, "velocity:caller:any:600s:after_hours velocity") || !strings.Contains(s, "velocity:site:any:3600s velocity") {
		t.Errorf("the log does not name the limits that refused:\n%s", s)
	}
}

func TestVelocityNeedsACounter(t *testing.T) {
	v := &server.Velocity{Limits: []server.Limit{{Tier: "high", Scope: "caller", Calls: 3, Window: time.Minute}}}
	_, err := server.New(server.Config{Engine: newEngine(t, "native"), Store: noCounter{}, Velocity: v})
	if err == nil || !strings.Contains(err.Error(), "counts calls") {
		t.Fatalf("New with a store that cannot count calls: %v", err)
	}
}

type noCounter struct{}

func (noCounter) Update(context.Context, server.Key, func(*api.SignInState) (server.Entry, error)) error {
	return nil
}

// BenchmarkMemoryAdmit is the memory store's share of a velocity check:
// one call checked against and recorded in two windows (a caller's and
// the site's), each holding the 50 000 calls of its window.
//
//	go test -run '^$' -bench MemoryAdmit -benchtime=200ms -count=5 ./server
func BenchmarkMemoryAdmit(b *testing.B) {
	st := server.NewMemoryStore()
	ws := []server.Window{
		{Key: "velocity:caller:any:3600s:2001", Span: 50 * time.Millisecond, Max: server.MaxLimitCalls, Enforce: true},
		{Key: "velocity:site:any:3600s", Span: 50 * time.Millisecond, Max: server.MaxLimitCalls, Enforce: true},
	}
	now := time.Now()
	b.ReportAllocs()
	for b.Loop() {
		now = now.Add(time.Microsecond)
		if full, err := st.Admit(context.Background(), now, ws); err != nil || full >= 0 {
			b.Fatal(full, err)
		}
	}
}
