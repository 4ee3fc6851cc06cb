package server

import (
	"fmt"
	"testing"
)

// TestVerdictSeriesBounded: past maxVerdictSeries distinct codes, new codes
// are counted as "other" instead of making new series.
func TestVerdictSeriesBounded(t *testing.T) {
	m := newMetrics()
	const n = maxVerdictSeries + 88
	for i := range n {
		m.verdict("pin", fmt.Sprint("code", i))
	}
	m.verdict("pin", "code0") // an early code keeps its own series
	fams, err := m.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var series int
	var other, code0 float64
	for _, f := range fams {
		if f.GetName() != "tollgate_verdicts_total" {
			continue
		}
		for _, s := range f.GetMetric() {
			series++
			for _, l := range s.GetLabel() {
				switch {
				case l.GetName() == "code" && l.GetValue() == "other":
					other = s.GetCounter().GetValue()
				case l.GetName() == "code" && l.GetValue() == "code0":
					code0 = s.GetCounter().GetValue()
				}
			}
		}
	}
	if series != maxVerdictSeries+1 || other != 88 || code0 != 2 {
		t.Errorf("%d series, other=%v, code0=%v; want %d, 88, 2", series, other, code0, maxVerdictSeries+1)
	}
}
