package tollgatecaddy

import (
	"bytes"
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/tollgate/tollgate"
	"github.com/tollgate/tollgate/api"
	"github.com/tollgate/tollgate/server"
)

// TestServiceMetricsParse reads the decision service's /metrics in a
// process that also holds Caddy (whose modules register collectors of
// their own, in Prometheus's default registry and in Caddy's) with
// Prometheus's text parser: the service's private registry does not clash
// with them, the format is valid, types are right and histogram buckets
// are cumulative.
func TestServiceMetricsParse(t *testing.T) {
	eng, err := tollgate.New(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	srv, err := server.New(server.Config{Engine: eng, Policy: api.Profile("cuc")})
	if err != nil {
		t.Fatal(err)
	}
	h := srv.Handler()
	for _, body := range []string{`{"pin":"345678"}`, `{"pin":"802163"}`, `{"pin":`} {
		req := httptest.NewRequest("POST", "/v1/pin", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		h.ServeHTTP(httptest.NewRecorder(), req)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/metrics", nil))

	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(bytes.NewReader(w.Body.Bytes()))
	if err != nil {
		t.Fatalf("Prometheus cannot parse /metrics: %v\n%s", err, w.Body)
	}
	for name, typ := range map[string]dto.MetricType{
		"tollgate_requests_total":           dto.MetricType_COUNTER,
		"tollgate_verdicts_total":           dto.MetricType_COUNTER,
		"tollgate_request_duration_seconds": dto.MetricType_HISTOGRAM,
		"tollgate_requests_in_flight":       dto.MetricType_GAUGE,
		"tollgate_build_info":               dto.MetricType_GAUGE,
		"go_goroutines":                     dto.MetricType_GAUGE,
	} {
		f, ok := fams[name]
		if !ok || f.GetType() != typ {
			t.Errorf("%s: present %v, type %v, want %v", name, ok, f.GetType(), typ)
		}
	}
	for _, m := range fams["tollgate_request_duration_seconds"].GetMetric() {
		hist := m.GetHistogram()
		prev := uint64(0)
		for _, b := range hist.GetBucket() {
			if b.GetCumulativeCount() < prev {
				t.Errorf("bucket le=%v not cumulative", b.GetUpperBound())
			}
			prev = b.GetCumulativeCount()
		}
		if hist.GetSampleCount() < prev {
			t.Errorf("count %d below the last bucket %d", hist.GetSampleCount(), prev)
		}
	}
	var verdicts float64
	for _, m := range fams["tollgate_verdicts_total"].GetMetric() {
		verdicts += m.GetCounter().GetValue()
	}
	if verdicts < 2 {
		t.Errorf("verdicts counted: %v, want at least 2", verdicts)
	}
}
