// Package loadtest drives the decision service with many concurrent
// connections and reports throughput and latency percentiles. Its test
// runs the service in process (64 connections, a fixed request count, no
// error allowed, memory flat, faults mixed in); the tgload command runs
// the same load against a real `tollgate serve` process for the figures in
// docs/performance.md.
package loadtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"
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
	BaseURL  string
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
				req, err := http.NewRequestWithContext(ctx, rq.Method, o.BaseURL+rq.Path, bytes.NewReader(rq.Body))
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

// VerdictMix is the load's request mix, for a service whose default
// policy is cuc: PINs and passwords, accepted and refused, each answer
// checked for its expected outcome.
func VerdictMix() []Request {
	mk := func(path, body string, accepted bool) Request {
		return Request{Method: "POST", Path: path, Body: []byte(body), Want: 200,
			Check: func(b []byte) error {
				var v struct{ Accepted *bool }
				if err := json.Unmarshal(b, &v); err != nil || v.Accepted == nil || *v.Accepted != accepted {
					return fmt.Errorf("answer %.120s, want accepted=%v", b, accepted)
				}
				return nil
			}}
	}
	return []Request{
		mk("/v1/pin", `{"pin":"802163","context":{"extensions":["2001"]}}`, true),
		mk("/v1/pin", `{"pin":"345678"}`, false),
		mk("/v1/pin", `{"pin":"200199","context":{"extensions":["2001"]}}`, false),
		mk("/v1/password", `{"password":"Tr4il-Mix-Ocelot","context":{"alias":"jsmith"}}`, true),
		mk("/v1/password", `{"password":"jsmith2024","context":{"alias":"jsmith"}}`, false),
	}
}
