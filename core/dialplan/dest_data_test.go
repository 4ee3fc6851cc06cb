package dialplan_test

import (
	"errors"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/tollgate/tollgate/core/artifact"
	"github.com/tollgate/tollgate/core/destination"
	"github.com/tollgate/tollgate/core/dialplan"
)

// destTable is the committed destination data (wasm/destinations.tgd).
var destTable = sync.OnceValues(func() (*destination.Table, error) {
	b, err := os.ReadFile("../../wasm/destinations.tgd")
	if err != nil {
		return nil, err
	}
	a, err := artifact.Parse(b)
	if err != nil {
		return nil, err
	}
	return destination.Load(a.Payload)
})

// destOpts are the options of a caller that has the destination data.
func destOpts(t testing.TB) dialplan.Options {
	t.Helper()
	tab, err := destTable()
	if err != nil {
		t.Fatal(err)
	}
	return dialplan.Options{Destinations: tab}
}

// TestRegionNeedsData: a document that declares a region, compiled
// without destination data, fails with ErrNoData (the api's
// data_missing), naming the field; one without a region does not need it.
func TestRegionNeedsData(t *testing.T) {
	doc := `{"region":{"country":"US"},"tables":[{"name":"T","rows":[{"pattern":"*"}]}]}`
	_, err := dialplan.Parse("", []byte(doc))
	var pe *dialplan.ParseError
	if !errors.As(err, &pe) || !errors.Is(err, dialplan.ErrNoData) || pe.Field != "region" || !strings.Contains(pe.Msg, `"destinations" data artifact`) {
		t.Fatalf("no data: %v; want ErrNoData on field region", err)
	}
	if _, err := dialplan.ParseOptions("", []byte(doc), destOpts(t)); err != nil {
		t.Fatalf("with data: %v", err)
	}
	if _, err := dialplan.Parse("", []byte(`{"tables":[{"name":"T","reach":"low","rows":[{"pattern":"*"}]}]}`)); err != nil {
		t.Errorf("reach without a region needs no data: %v", err)
	}
}

// TestDestinationNoAlloc: the destination of a dial result costs no
// allocation (the calling code's "+1" is made once, with the data), so
// that classification stays within its share of a dial decision.
func TestDestinationNoAlloc(t *testing.T) {
	doc := `{"region":{"country":"US"},"tables":[{"name":"T","rows":[{"pattern":"*","blocked":true}]}]}`
	s, err := dialplan.ParseOptions("", []byte(doc), destOpts(t))
	if err != nil {
		t.Fatal(err)
	}
	tab := s.Tables()[0]
	if d, ok := tab.Destination("918095550100"); !ok || d.Region != "+1" || d.Country != "DO" {
		t.Fatalf("%+v %v", d, ok)
	}
	if n := testing.AllocsPerRun(100, func() { tab.Destination("9011882161234567") }); n != 0 {
		t.Errorf("Destination allocates %v times per call", n)
	}
}
