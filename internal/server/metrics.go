package server

import (
	"bufio"
	"io"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// latencyBuckets are the upper bounds (seconds) of the latency histogram:
// a native check takes microseconds, a wasm call tens of them, a slow
// client's body up to the body timeout.
var latencyBuckets = [...]float64{
	0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
	0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
}

// maxVerdictSeries bounds the verdict counter's label sets. Codes come from
// a stable catalogue, so this is only a guard against a misbehaving engine.
const maxVerdictSeries = 512

// metrics holds the service's counters; written with atomics, rendered by
// hand in the Prometheus text exposition format (version 0.0.4).
type metrics struct {
	start    time.Time
	inFlight atomic.Int64

	mu       sync.RWMutex
	requests map[reqKey]*atomic.Uint64
	latency  map[string]*histogram
	verdicts map[verdictKey]*atomic.Uint64
}

type reqKey struct {
	route  string
	status int
}

type verdictKey struct{ op, code string }

type histogram struct {
	counts [len(latencyBuckets) + 1]atomic.Uint64 // last one is +Inf
	sumNs  atomic.Uint64
}

func newMetrics() *metrics {
	return &metrics{
		start:    time.Now(),
		requests: map[reqKey]*atomic.Uint64{},
		latency:  map[string]*histogram{},
		verdicts: map[verdictKey]*atomic.Uint64{},
	}
}

// observe records one finished request. route is a fixed pattern (never a
// raw path, so a user name never becomes a label).
func (m *metrics) observe(route string, status int, d time.Duration) {
	counter(&m.mu, m.requests, reqKey{route, status}).Add(1)

	m.mu.RLock()
	h := m.latency[route]
	m.mu.RUnlock()
	if h == nil {
		m.mu.Lock()
		if h = m.latency[route]; h == nil {
			h = &histogram{}
			m.latency[route] = h
		}
		m.mu.Unlock()
	}
	s := d.Seconds()
	i := sort.SearchFloat64s(latencyBuckets[:], s)
	h.counts[i].Add(1)
	h.sumNs.Add(uint64(d.Nanoseconds()))
}

// verdict counts one code of one operation's answer.
func (m *metrics) verdict(op, code string) {
	m.mu.RLock()
	c := m.verdicts[verdictKey{op, code}]
	n := len(m.verdicts)
	m.mu.RUnlock()
	if c == nil {
		if n >= maxVerdictSeries {
			code = "other"
		}
		c = counter(&m.mu, m.verdicts, verdictKey{op, code})
	}
	c.Add(1)
}

func counter[K comparable](mu *sync.RWMutex, m map[K]*atomic.Uint64, k K) *atomic.Uint64 {
	mu.RLock()
	c := m[k]
	mu.RUnlock()
	if c != nil {
		return c
	}
	mu.Lock()
	defer mu.Unlock()
	if c = m[k]; c == nil {
		c = new(atomic.Uint64)
		m[k] = c
	}
	return c
}

// write renders every metric in the text exposition format.
func (m *metrics) write(w io.Writer) error {
	b := bufio.NewWriter(w)
	m.mu.RLock()
	defer m.mu.RUnlock()

	b.WriteString("# HELP tollgate_requests_total HTTP requests answered, by route and status code.\n")
	b.WriteString("# TYPE tollgate_requests_total counter\n")
	rk := make([]reqKey, 0, len(m.requests))
	for k := range m.requests {
		rk = append(rk, k)
	}
	sort.Slice(rk, func(i, j int) bool {
		if rk[i].route != rk[j].route {
			return rk[i].route < rk[j].route
		}
		return rk[i].status < rk[j].status
	})
	for _, k := range rk {
		b.WriteString(`tollgate_requests_total{route="`)
		b.WriteString(labelValue(k.route))
		b.WriteString(`",status="`)
		b.WriteString(strconv.Itoa(k.status))
		b.WriteString(`"} `)
		b.WriteString(strconv.FormatUint(m.requests[k].Load(), 10))
		b.WriteByte('\n')
	}

	b.WriteString("# HELP tollgate_verdicts_total Answers by operation and code: each reason code of a refusal, \"accepted\" for a PIN or password accepted, \"allowed\"/\"blocked\"/reason for a dial, the reason of a hash verification, the decision of a sign-in, each lint finding.\n")
	b.WriteString("# TYPE tollgate_verdicts_total counter\n")
	vk := make([]verdictKey, 0, len(m.verdicts))
	for k := range m.verdicts {
		vk = append(vk, k)
	}
	sort.Slice(vk, func(i, j int) bool {
		if vk[i].op != vk[j].op {
			return vk[i].op < vk[j].op
		}
		return vk[i].code < vk[j].code
	})
	for _, k := range vk {
		b.WriteString(`tollgate_verdicts_total{op="`)
		b.WriteString(labelValue(k.op))
		b.WriteString(`",code="`)
		b.WriteString(labelValue(k.code))
		b.WriteString(`"} `)
		b.WriteString(strconv.FormatUint(m.verdicts[k].Load(), 10))
		b.WriteByte('\n')
	}

	b.WriteString("# HELP tollgate_request_duration_seconds Time from request to response, by route.\n")
	b.WriteString("# TYPE tollgate_request_duration_seconds histogram\n")
	routes := make([]string, 0, len(m.latency))
	for r := range m.latency {
		routes = append(routes, r)
	}
	sort.Strings(routes)
	for _, r := range routes {
		h := m.latency[r]
		lv := labelValue(r)
		var cum uint64
		for i := range h.counts {
			cum += h.counts[i].Load()
			le := "+Inf"
			if i < len(latencyBuckets) {
				le = strconv.FormatFloat(latencyBuckets[i], 'g', -1, 64)
			}
			b.WriteString(`tollgate_request_duration_seconds_bucket{route="`)
			b.WriteString(lv)
			b.WriteString(`",le="`)
			b.WriteString(le)
			b.WriteString(`"} `)
			b.WriteString(strconv.FormatUint(cum, 10))
			b.WriteByte('\n')
		}
		b.WriteString(`tollgate_request_duration_seconds_sum{route="` + lv + `"} `)
		b.WriteString(strconv.FormatFloat(float64(h.sumNs.Load())/1e9, 'g', -1, 64))
		b.WriteString("\n")
		b.WriteString(`tollgate_request_duration_seconds_count{route="` + lv + `"} `)
		b.WriteString(strconv.FormatUint(cum, 10))
		b.WriteString("\n")
	}

	b.WriteString("# HELP tollgate_requests_in_flight Requests being answered now.\n")
	b.WriteString("# TYPE tollgate_requests_in_flight gauge\n")
	b.WriteString("tollgate_requests_in_flight " + strconv.FormatInt(m.inFlight.Load(), 10) + "\n")
	b.WriteString("# HELP tollgate_uptime_seconds Seconds since the service started.\n")
	b.WriteString("# TYPE tollgate_uptime_seconds gauge\n")
	b.WriteString("tollgate_uptime_seconds " + strconv.FormatFloat(time.Since(m.start).Seconds(), 'f', 3, 64) + "\n")
	return b.Flush()
}

// labelValue escapes a label value: backslash, double quote and newline.
func labelValue(s string) string {
	if !strings.ContainsAny(s, "\\\"\n") {
		return s
	}
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
	return r.Replace(s)
}
