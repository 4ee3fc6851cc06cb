package server_test

import (
	"runtime"
	"runtime/debug"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/tollgate/tollgate/api"
	"github.com/tollgate/tollgate/server"
)

// TestMetricsFamilies scrapes a started service and parses the answer with
// Prometheus's text parser: every tollgate family has its type, the build
// is named by tollgate_build_info, and the Go runtime's and the process's
// families are there (what dashboards and alerts built on client_golang
// expect: go_goroutines, process_resident_memory_bytes, ...).
func TestMetricsFamilies(t *testing.T) {
	url, _ := start(t, server.Config{Engine: newEngine(t, "native"), Policy: api.Profile("cuc")})
	do(t, "POST", url+"/v1/pin", `{"pin":"123456"}`)
	do(t, "GET", url+"/metrics", "")
	r := do(t, "GET", url+"/metrics", "")
	if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/plain; version=0.0.4") {
		t.Fatalf("/metrics = %d %v", r.status, r.header)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(string(r.body)))
	if err != nil {
		t.Fatalf("Prometheus cannot parse /metrics: %v\n%s", err, r.body)
	}
	want := map[string]dto.MetricType{
		"tollgate_requests_total":           dto.MetricType_COUNTER,
		"tollgate_verdicts_total":           dto.MetricType_COUNTER,
		"tollgate_request_duration_seconds": dto.MetricType_HISTOGRAM,
		"tollgate_requests_in_flight":       dto.MetricType_GAUGE,
		"tollgate_uptime_seconds":           dto.MetricType_GAUGE,
		"tollgate_build_info":               dto.MetricType_GAUGE,
		"go_goroutines":                     dto.MetricType_GAUGE,
		"go_gc_duration_seconds":            dto.MetricType_SUMMARY,
		"go_memstats_heap_alloc_bytes":      dto.MetricType_GAUGE,
		"go_info":                           dto.MetricType_GAUGE,
	}
	if runtime.GOOS == "linux" { // where client_golang reads /proc
		want["process_cpu_seconds_total"] = dto.MetricType_COUNTER
		want["process_resident_memory_bytes"] = dto.MetricType_GAUGE
		want["process_open_fds"] = dto.MetricType_GAUGE
		want["process_start_time_seconds"] = dto.MetricType_GAUGE
	}
	for name, typ := range want {
		f, ok := fams[name]
		if !ok || f.GetType() != typ || len(f.GetMetric()) == 0 {
			t.Errorf("%s: present %v, type %v, %d series; want %v", name, ok, f.GetType(), len(f.GetMetric()), typ)
		}
	}

	// One build_info series, value 1, naming this build.
	bi := fams["tollgate_build_info"].GetMetric()
	if len(bi) != 1 || bi[0].GetGauge().GetValue() != 1 {
		t.Fatalf("tollgate_build_info = %v, want one series of value 1", bi)
	}
	labels := map[string]string{}
	for _, l := range bi[0].GetLabel() {
		labels[l.GetName()] = l.GetValue()
	}
	if len(labels) != 3 || labels["goversion"] != runtime.Version() || labels["version"] == "" || labels["revision"] == "" {
		t.Errorf("tollgate_build_info labels %v, want version, revision and goversion=%s", labels, runtime.Version())
	}
	if info, ok := debug.ReadBuildInfo(); ok && info.Main.Version != "" && labels["version"] != info.Main.Version {
		t.Errorf("version label %q, the binary says %q", labels["version"], info.Main.Version)
	}

	// The first scrape was counted like any request, with its status.
	m := metricLines(t, string(r.body))
	if m[`tollgate_requests_total{route="/metrics",status="200"}`] != 1 {
		t.Errorf("the first scrape was not counted as route /metrics, status 200:\n%s", r.body)
	}
	if m[`tollgate_verdicts_total{code="accepted",op="pin"}`] != 0 || m[`tollgate_verdicts_total{code="sequential",op="pin"}`] != 1 {
		t.Errorf("verdicts of one refused 123456: %v", m)
	}
}

// TestMetricsNotGlobal: two services in one process (as in tests, or next
// to Caddy's own collectors) each have their own registry and counts.
func TestMetricsNotGlobal(t *testing.T) {
	a, _ := start(t, server.Config{})
	b, _ := start(t, server.Config{})
	do(t, "GET", a+"/healthz", "")
	ma := metricLines(t, string(do(t, "GET", a+"/metrics", "").body))
	mb := metricLines(t, string(do(t, "GET", b+"/metrics", "").body))
	if ma[`tollgate_requests_total{route="/healthz",status="200"}`] != 1 || mb[`tollgate_requests_total{route="/healthz",status="200"}`] != 0 {
		t.Errorf("healthz counts: a %v, b %v; want 1 and 0", ma, mb)
	}
}
