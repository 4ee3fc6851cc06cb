package server

import (
	"net/http"
	"runtime"
	"runtime/debug"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// latencyBuckets are the upper bounds (seconds) of the latency histogram:
// a native check takes microseconds, a wasm call tens of them, a slow
// client's body up to the body timeout.
var latencyBuckets = []float64{
	0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
	0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
}

// maxVerdictSeries bounds the verdict counter's label sets. Codes come from
// a stable catalogue, so this is only a guard against a misbehaving engine.
const maxVerdictSeries = 512

// metrics holds the service's collectors, in a registry of its own (never
// Prometheus's global one), so several servers in one process — tests, or
// the service inside Caddy, which has its own registry — never collide.
type metrics struct {
	start    time.Time
	inFlight atomic.Int64

	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	verdicts *prometheus.CounterVec
	handler  http.Handler

	mu   sync.RWMutex
	seen map[verdictKey]prometheus.Counter // verdict series made so far
}

type verdictKey struct{ op, code string }

func newMetrics() *metrics {
	m := &metrics{
		start: time.Now(),
		reg:   prometheus.NewRegistry(),
		seen:  map[verdictKey]prometheus.Counter{},
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tollgate_requests_total",
			Help: "HTTP requests answered, by route and status code.",
		}, []string{"route", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "tollgate_request_duration_seconds",
			Help:    "Time from request to response, by route.",
			Buckets: latencyBuckets,
		}, []string{"route"}),
		verdicts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tollgate_verdicts_total",
			Help: `Answers by operation and code: each reason code of a refusal, "accepted" for a PIN or password accepted, "allowed"/"blocked"/reason for a dial, the reason of a hash verification, the decision of a sign-in, each lint finding.`,
		}, []string{"op", "code"}),
	}
	version, revision := buildInfo()
	m.reg.MustRegister(
		m.requests, m.latency, m.verdicts,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "tollgate_requests_in_flight",
			Help: "Requests being answered now.",
		}, func() float64 { return float64(m.inFlight.Load()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "tollgate_uptime_seconds",
			Help: "Seconds since the service started.",
		}, func() float64 { return time.Since(m.start).Seconds() }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "tollgate_build_info",
			Help: "Always 1; the labels say which build is running.",
			ConstLabels: prometheus.Labels{
				"version": version, "revision": revision, "goversion": runtime.Version(),
			},
		}, func() float64 { return 1 }),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	m.handler = promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
	return m
}

// buildInfo is the main module's version and VCS revision as the Go
// toolchain stamped them ("(devel)" for a build from a checkout without a
// tag; "unknown" when built with -buildvcs=false or from outside a
// repository).
func buildInfo() (version, revision string) {
	version, revision = "unknown", "unknown"
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return
	}
	if bi.Main.Version != "" {
		version = bi.Main.Version
	}
	var modified bool
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			revision = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	if modified && revision != "unknown" {
		revision += "-dirty"
	}
	return
}

// routeMetrics are one route's series, resolved once: a label lookup
// hashes its values under a lock, which every request would pay.
type routeMetrics struct {
	m        *metrics
	route    string
	latency  prometheus.Observer
	statuses sync.Map // int → prometheus.Counter
}

// route returns the series of a route pattern (never a raw path, so a
// user name never becomes a label).
func (m *metrics) route(pattern string) *routeMetrics {
	return &routeMetrics{m: m, route: pattern, latency: m.latency.WithLabelValues(pattern)}
}

// observe records one finished request.
func (r *routeMetrics) observe(status int, d time.Duration) {
	c, ok := r.statuses.Load(status)
	if !ok {
		c, _ = r.statuses.LoadOrStore(status, r.m.requests.WithLabelValues(r.route, strconv.Itoa(status)))
	}
	c.(prometheus.Counter).Inc()
	r.latency.Observe(d.Seconds())
}

// verdict counts one code of one operation's answer.
func (m *metrics) verdict(op, code string) {
	k := verdictKey{op, code}
	m.mu.RLock()
	c, ok := m.seen[k]
	m.mu.RUnlock()
	if !ok {
		m.mu.Lock()
		if c, ok = m.seen[k]; !ok {
			if len(m.seen) >= maxVerdictSeries {
				// Not remembered: the map stays bounded too.
				c = m.verdicts.WithLabelValues(op, "other")
			} else {
				c = m.verdicts.WithLabelValues(op, code)
				m.seen[k] = c
			}
		}
		m.mu.Unlock()
	}
	c.Inc()
}
