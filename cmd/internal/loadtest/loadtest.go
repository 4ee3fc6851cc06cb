// Package loadtest drives the decision service (package server) with
// many concurrent connections and reports throughput and latency
// percentiles. Its test runs the service in process (64 connections, a
// fixed request count, no error allowed, memory flat, faults mixed in);
// the tgload command (cmd/internal/tgload, `make load`) runs the same load
// against a real `tollgate serve` process for the figures in
// docs/performance.md. Answers are read with package api's decoders, as
// any Go client of the service reads them.
package loadtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tollgate/tollgate/api"
)

// Request is one kind of request the load sends, in turn with the others.
type Request struct {
	Method string // GET or POST
	Path   string
	Body   []byte
	// Want is the status every answer must have.
	Want int
	// Check, when set, also inspects each answer body.
	Check func(body []byte) error
}

// Options set up a run.
type Options struct {
	BaseURL string
	// BaseURLs, when set, are several replicas of the service: request i
	// goes to BaseURLs[i % len], so the load is spread evenly.
	BaseURLs []string
	Conns    int // concurrent connections (and workers)
	Requests int // total requests
	Mix      []Request
	Token    string
}

// Result is what a run measured.
type Result struct {
	Requests   int
	Errors     int
	FirstError string
	Elapsed    time.Duration
	P50, P99   time.Duration
	Max        time.Duration
}

// PerSecond is the throughput.
func (r Result) PerSecond() float64 { return float64(r.Requests) / r.Elapsed.Seconds() }

func (r Result) String() string {
	return fmt.Sprintf("%d requests in %v: %.0f req/s, p50 %v, p99 %v, max %v, %d errors",
		r.Requests, r.Elapsed.Round(time.Millisecond), r.PerSecond(), r.P50, r.P99, r.Max, r.Errors)
}

// NewClient returns a client that keeps exactly conns connections open.
func NewClient(conns int) *http.Client {
	return &http.Client{
		Transport: &http.Transport{
			DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
			MaxIdleConns:        conns,
			MaxIdleConnsPerHost: conns,
			MaxConnsPerHost:     conns,
			IdleConnTimeout:     30 * time.Second,
		},
		Timeout: 30 * time.Second,
	}
}

// Run sends o.Requests requests over o.Conns workers sharing client.
func Run(ctx context.Context, client *http.Client, o Options) Result {
	lat := make([]time.Duration, o.Requests)
	var next, errs atomic.Int64
	var firstErr atomic.Value
	fail := func(msg string) {
		errs.Add(1)
		firstErr.CompareAndSwap(nil, msg)
	}
	start := time.Now()
	var wg sync.WaitGroup
	for range o.Conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= o.Requests || ctx.Err() != nil {
					return
				}
				rq := o.Mix[i%len(o.Mix)]
				base := o.BaseURL
				if len(o.BaseURLs) > 0 {
					base = o.BaseURLs[i%len(o.BaseURLs)]
				}
				req, err := http.NewRequestWithContext(ctx, rq.Method, base+rq.Path, bytes.NewReader(rq.Body))
				if err != nil {
					fail(err.Error())
					continue
				}
				if rq.Body != nil {
					req.Header.Set("Content-Type", "application/json")
				}
				if o.Token != "" {
					req.Header.Set("Authorization", "Bearer "+o.Token)
				}
				t0 := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					fail(err.Error())
					continue
				}
				body, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				lat[i] = time.Since(t0)
				switch {
				case err != nil:
					fail(err.Error())
				case resp.StatusCode != rq.Want:
					fail(fmt.Sprintf("%s %s: status %d, want %d: %.200s", rq.Method, rq.Path, resp.StatusCode, rq.Want, body))
				case rq.Check != nil:
					if err := rq.Check(body); err != nil {
						fail(fmt.Sprintf("%s %s: %v", rq.Method, rq.Path, err))
					}
				}
			}
		}()
	}
	wg.Wait()
	r := Result{Requests: o.Requests, Errors: int(errs.Load()), Elapsed: time.Since(start)}
	if s, ok := firstErr.Load().(string); ok {
		r.FirstError = s
	}
	slices.Sort(lat)
	r.P50, r.P99, r.Max = lat[len(lat)/2], lat[len(lat)*99/100], lat[len(lat)-1]
	return r
}

// Healthz is the baseline: the cheapest answer the service gives.
var Healthz = []Request{{Method: "GET", Path: "/healthz", Want: 200}}

// accepted checks a verdict answer's outcome.
func accepted(want bool) func([]byte) error {
	return func(b []byte) error {
		var v api.Verdict
		if err := api.Decode(b, &v); err != nil {
			return fmt.Errorf("answer %.120s: %v", b, err)
		}
		if v.Accepted != want {
			return fmt.Errorf("answer %.120s, want accepted=%v", b, want)
		}
		return nil
	}
}

// allowed checks a dial answer's outcome.
func allowed(want bool) func([]byte) error {
	return func(b []byte) error {
		var d api.DialResult
		if err := api.Decode(b, &d); err != nil {
			return fmt.Errorf("answer %.120s: %v", b, err)
		}
		if d.Allowed != want {
			return fmt.Errorf("answer %.120s, want allowed=%v", b, want)
		}
		return nil
	}
}

// errNoMix is Mix's error for a name it does not know.
var errNoMix = errors.New("want healthz, pin, dial, verdicts or signin")

// Mix returns a request mix by name: healthz, pin, dial, verdicts or
// signin.
func Mix(name string) ([]Request, error) {
	switch name {
	case "healthz":
		return Healthz, nil
	case "pin":
		return PINMix(), nil
	case "dial":
		return DialMix(), nil
	case "verdicts":
		return VerdictMix(), nil
	case "signin":
		return SigninMix(1000), nil
	}
	return nil, fmt.Errorf("mix %q: %w", name, errNoMix)
}

// PINMix is PIN checks only, for a service whose default policy is cuc:
// accepted and refused, each answer checked.
func PINMix() []Request {
	return []Request{
		post("/v1/pin", `{"pin":"802163","context":{"extensions":["2001"]}}`, accepted(true)),
		post("/v1/pin", `{"pin":"345678"}`, accepted(false)),
		post("/v1/pin", `{"pin":"200199","context":{"extensions":["2001"]}}`, accepted(false)),
	}
}

// DialMix is dial checks only, against the service's default tables (the
// built-in default set): international calls blocked, internal ones
// allowed, by the default table and by a class of service, each answer
// checked.
func DialMix() []Request {
	return []Request{
		post("/v1/dial", `{"number":"9011442079460000"}`, allowed(false)),
		post("/v1/dial", `{"number":"2001"}`, allowed(true)),
		post("/v1/dial", `{"cos":"Default","feature":"transfer","number":"9 1 900 555 0100"}`, allowed(false)),
		post("/v1/dial", `{"cos":"Default","feature":"transfer","number":"2002"}`, allowed(true)),
	}
}

// VerdictMix is the load's request mix, for a service whose default
// policy is cuc: PINs and passwords, accepted and refused, each answer
// checked for its expected outcome.
func VerdictMix() []Request {
	return []Request{
		post("/v1/pin", `{"pin":"802163","context":{"extensions":["2001"]}}`, accepted(true)),
		post("/v1/pin", `{"pin":"345678"}`, accepted(false)),
		post("/v1/pin", `{"pin":"200199","context":{"extensions":["2001"]}}`, accepted(false)),
		post("/v1/password", `{"password":"Tr4il-Mix-Ocelot","context":{"alias":"jsmith"}}`, accepted(true)),
		post("/v1/password", `{"password":"jsmith2024","context":{"alias":"jsmith"}}`, accepted(false)),
	}
}

// SigninMix is sign-in events for users distinct users: a failure, then
// a success, for each in turn, so none is ever locked (a user's next
// failure comes 2*users requests later) and each answer is checked: the
// failure not allowed, the success allowed. Every event reads and writes
// the user's state in the service's store.
func SigninMix(users int) []Request {
	out := make([]Request, 0, 2*users)
	for u := range users {
		path := "/v1/signin/load-user-" + strconv.Itoa(u)
		out = append(out,
			post(path, `{"event":"failure"}`, signinAllowed(false)),
			post(path, `{"event":"success"}`, signinAllowed(true)))
	}
	return out
}

func signinAllowed(want bool) func([]byte) error {
	needle := []byte(`"allowed":` + strconv.FormatBool(want) + `,`)
	return func(b []byte) error {
		if !bytes.Contains(b, needle) {
			return fmt.Errorf("sign-in answer %.300s: want allowed %v", b, want)
		}
		return nil
	}
}

func post(path, body string, check func([]byte) error) Request {
	return Request{Method: "POST", Path: path, Body: []byte(body), Want: 200, Check: check}
}
