package server_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"github.com/tollgate/tollgate"
	"github.com/tollgate/tollgate/api"
	"github.com/tollgate/tollgate/server"
)

// post sends a JSON body and prints the answer's status and body.
func post(url, body string) {
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	fmt.Print(resp.StatusCode, " ", string(b))
}

// The service on a test listener: a PIN check under the service's default
// policy, and a dial by caller — the extension's class of service comes
// from the Directory — against the default tables.
func Example() {
	ctx := context.Background()
	tg, err := tollgate.New(ctx) // the native engine
	if err != nil {
		log.Fatal(err)
	}
	defer tg.Close()
	srv, err := server.New(server.Config{
		Engine:    tg,
		Policy:    api.Profile("cuc"),
		Tables:    api.BuiltinTables("default"),
		Directory: directory{"2001": "Default"},
	})
	if err != nil {
		log.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()

	post(ts.URL+"/v1/pin", `{"pin":"345678"}`)
	post(ts.URL+"/v1/dial", `{"caller":"2001","feature":"transfer","number":"9011442079460000"}`)
	post(ts.URL+"/v1/dial", `{"caller":"2999","feature":"transfer","number":"2002"}`)
	// Output:
	// 200 {"accepted":false,"reasons":[{"code":"sequential","message":"Do not use digits in ascending or descending order (like 123456 or 9876).","start":0,"end":6}]}
	// 200 {"number":"9011442079460000","allowed":false,"reason":"matched","table":"Default Transfer","row":1,"pattern":"9011???????*"}
	// 400 {"error":{"code":"unknown_caller","message":"no class of service for this caller in the users directory","field":"caller"}}
}

// Sign-in events through the service: it keeps each user's state in its
// Store and stamps every event with its own clock (here a fixed one), so
// the third failure under cuc locks the PIN for 30 minutes.
func Example_signin() {
	tg, err := tollgate.New(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	defer tg.Close()
	now := func() time.Time { return time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC) }
	srv, err := server.New(server.Config{Engine: tg, Policy: api.Profile("cuc"), Now: now})
	if err != nil {
		log.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()

	for range 3 {
		resp, err := http.Post(ts.URL+"/v1/signin/alice", "application/json", strings.NewReader(`{"event":"failure"}`))
		if err != nil {
			log.Fatal(err)
		}
		var res api.SignInResult
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err := api.Decode(b, &res); err != nil {
			log.Fatal(err)
		}
		d := res.Decision
		fmt.Println(d.Code, "locked:", d.Locked, "remaining:", d.Remaining)
	}
	// Output:
	// failed locked: false remaining: 2
	// failed locked: false remaining: 1
	// failed locked: true remaining: 0
}

// countingStore is a Store that keeps its states in a map under one lock
// — the whole contract: Update reads, calls fn and writes, atomically
// per key — and counts its updates. A shared store (a database) does the
// same with a transaction or a script.
type countingStore struct {
	mu      sync.Mutex
	states  map[server.Key]server.Entry
	updates int
}

func (s *countingStore) Update(_ context.Context, k server.Key, fn func(*api.SignInState) (server.Entry, error)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var state *api.SignInState
	if e, ok := s.states[k]; ok && (e.ForgetAt.IsZero() || time.Now().Before(e.ForgetAt)) {
		state = &e.State
	}
	e, err := fn(state)
	if err != nil {
		return err
	}
	s.states[k] = e
	s.updates++
	return nil
}

// A Store of one's own: the service hands it each sign-in event's update.
func ExampleStore() {
	tg, err := tollgate.New(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	defer tg.Close()
	store := &countingStore{states: map[server.Key]server.Entry{}}
	srv, err := server.New(server.Config{Engine: tg, Store: store})
	if err != nil {
		log.Fatal(err)
	}
	for _, ev := range []string{`{"event":"failure"}`, `{"event":"success"}`} {
		req := httptest.NewRequest("POST", "/v1/signin/bob", strings.NewReader(ev))
		req.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		srv.Handler().ServeHTTP(w, req)
	}
	e := store.states[server.Key{Kind: "pin", User: "bob"}]
	fmt.Println(store.updates, "updates; failures:", e.State.Failures, "last sign-in kept:", e.State.LastSignIn != nil)
	// Output:
	// 2 updates; failures: 0 last sign-in kept: true
}

// Velocity limits from their document: every allowed dial of a caller is
// counted, and the fourth in ten minutes is refused with reason velocity;
// a bad document is refused with its position.
func ExampleParseVelocity() {
	v, err := server.ParseVelocity([]byte(`{"limits": [{"tier": "any", "per": "caller", "calls": 3, "window": "10m"}]}`))
	if err != nil {
		log.Fatal(err)
	}
	tg, err := tollgate.New(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	defer tg.Close()
	srv, err := server.New(server.Config{Engine: tg, Velocity: v, Directory: directory{"2001": "Default"}})
	if err != nil {
		log.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	for range 4 {
		resp, err := http.Post(ts.URL+"/v1/dial", "application/json", strings.NewReader(`{"caller":"2001","feature":"transfer","number":"2002"}`))
		if err != nil {
			log.Fatal(err)
		}
		var d api.DialResult
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err := api.Decode(b, &d); err != nil {
			log.Fatal(err)
		}
		fmt.Println(d.Allowed, d.Reason)
	}
	_, err = server.ParseVelocity([]byte("{\"limits\": [\n  {\"tier\": \"high\", \"per\": \"caller\", \"calls\": 3, \"window\": \"10 min\"}]}"))
	fmt.Println(err)
	// Output:
	// true matched
	// true matched
	// true matched
	// false velocity
	// velocity: line 2, column 59: limits[0].window: not a duration; want e.g. "10m", "1h", "24h"
}
