package destination_test

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/tollgate/tollgate/core/artifact"
	"github.com/tollgate/tollgate/core/destination"
)

// payload is the committed artifact's payload (wasm/destinations.tgd).
var payload = sync.OnceValues(func() ([]byte, error) {
	b, err := os.ReadFile("../../wasm/destinations.tgd")
	if err != nil {
		return nil, err
	}
	a, err := artifact.Parse(b)
	if err != nil {
		return nil, err
	}
	if a.Name != "destinations" {
		return nil, errors.New("wasm/destinations.tgd is named " + a.Name)
	}
	return a.Payload, nil
})

var loaded = sync.OnceValues(func() (*destination.Table, error) {
	p, err := payload()
	if err != nil {
		return nil, err
	}
	return destination.Load(p)
})

func table(t testing.TB) *destination.Table {
	t.Helper()
	tab, err := loaded()
	if err != nil {
		t.Fatal(err)
	}
	return tab
}

func dialing(t testing.TB, o destination.Options) *destination.Dialing {
	t.Helper()
	d, err := table(t).Dialing(o)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestLoadHeader(t *testing.T) {
	tab := table(t)
	if tab.Source() != "github.com/nyaruka/phonenumbers v1.8.1" {
		t.Errorf("source %q", tab.Source())
	}
	if tab.States() < 1000 || len(tab.Regions()) < 240 || len(tab.CallingCodes()) < 200 {
		t.Errorf("%d states, %d regions, %d codes: not the whole metadata", tab.States(), len(tab.Regions()), len(tab.CallingCodes()))
	}
}

// A damaged, truncated or foreign payload is refused with the offset,
// never loaded. (The container's checksum catches a flipped bit first:
// core/artifact; these are payloads that pass it, made wrong.)
func TestLoadRefuses(t *testing.T) {
	good, err := payload()
	if err != nil {
		t.Fatal(err)
	}
	src := 1 + 1 + len("github.com/nyaruka/phonenumbers v1.8.1") // format, length, source
	set := func(off int, v byte) []byte {
		b := bytes.Clone(good)
		b[off] = v
		return b
	}
	for _, c := range []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "empty payload"},
		{"format 1", set(0, 1), "format 1, this build reads format 2"},
		{"foreign", []byte("GIF89a......"), "format 71"},
		{"source length", set(1, 0xff), "source length 13311 is above 256"},
		{"region count", append(append(bytes.Clone(good[:src]), 0xff, 0xff, 0x7f), good[src+2:]...), "byte 42: region count 2097151 is above 1024"},
		{"truncated", good[:len(good)-1], "truncated"},
		{"trailing", append(bytes.Clone(good), 0), "trailing bytes"},
		{"half", good[:len(good)/2], "truncated"},
	} {
		_, err := destination.Load(c.data)
		if err == nil || !strings.Contains(err.Error(), c.want) || !errors.Is(err, destination.ErrFormat) {
			t.Errorf("%s: %v, want an ErrFormat saying %q", c.name, err, c.want)
		}
	}
}

type want struct {
	country string
	cc      int
	typ     string
	tier    string
}

func check(t *testing.T, d *destination.Dialing, number string, w want) {
	t.Helper()
	c, ok := d.ClassifyString(number)
	if !ok {
		t.Fatalf("%s: not classified", number)
	}
	got := d.Destination(c)
	if got.Country != w.country || got.CallingCode != w.cc || got.Type.String() != w.typ || d.Tier(c).String() != w.tier {
		t.Errorf("%s: %q +%d %s %s, want %q +%d %s %s", number, got.Country, got.CallingCode, got.Type, d.Tier(c), w.country, w.cc, w.typ, w.tier)
	}
	// The step-by-step automaton lint uses agrees with Classify.
	s := d.Start()
	for i := 0; i < len(number); i++ {
		if k := strings.IndexByte("0123456789*#+", number[i]); k >= 0 {
			s = d.Step(s, k)
		}
	}
	if d.Class(s) != c {
		t.Errorf("%s: Step/Class give class %d, Classify %d", number, d.Class(s), c)
	}
}

func TestDialingUS(t *testing.T) {
	d := dialing(t, destination.Options{Country: "US", Access: []string{"9"}})
	for number, w := range map[string]want{
		"1234":                  {"", 0, "internal", "low"},
		"9 201 555 0123":        {"US", 1, "fixed_or_mobile", "low"},
		"91 201 555 0123":       {"US", 1, "fixed_or_mobile", "low"},
		"9 1 809 234 5678":      {"DO", 1, "fixed_or_mobile", "high"},
		"9 809 234 5678":        {"DO", 1, "fixed_or_mobile", "high"},
		"9 011 1 809 2345678":   {"DO", 1, "fixed_or_mobile", "high"},
		"91 876 210 1234":       {"JM", 1, "mobile", "high"},
		"91 340 234 5678":       {"VI", 1, "unknown", "low"},
		"91 604 234 5678":       {"CA", 1, "fixed_or_mobile", "low"},
		"91 900 234 5678":       {"US", 1, "premium_rate", "high"},
		"91 800 234 5678":       {"US", 1, "toll_free", "low"},
		"9 011 44 20 7946 0000": {"GB", 44, "fixed", "medium"},
		"9011442079460000#":     {"GB", 44, "fixed", "medium"},
		"9011442079460000#99":   {"GB", 44, "fixed", "medium"},
		"901144207946*0000":     {"", 44, "unknown", "medium"},
		"9 011 44 9012345678":   {"GB", 44, "premium_rate", "high"},
		"+44 20 7946 0000":      {"GB", 44, "fixed", "medium"},
		"9+44 20 7946 0000":     {"", 1, "unknown", "low"}, // + after an access code is no E.164 number
		"9 011 882 1234567890":  {"001", 882, "unknown", "medium"},
		"9 011 881 612345678":   {"001", 881, "satellite", "high"},
		"9 011 979 123456789":   {"001", 979, "premium_rate", "high"},
		"9 011 53 7 8345678":    {"CU", 53, "fixed", "high"},
		"9 011 999 1234":        {"", 0, "unknown", "medium"},
		"9 011 0 1234":          {"", 1, "unknown", "low"},
		"9 555 1234":            {"", 1, "unknown", "low"},
		"9":                     {"", 1, "unknown", "low"},
		"+":                     {"", 0, "unknown", "medium"},
	} {
		check(t, d, number, w)
	}
	if _, ok := d.ClassifyString("9 1 800 FLOWERS"); ok {
		t.Error("a letter was classified")
	}
}

func TestDialingGB(t *testing.T) {
	d := dialing(t, destination.Options{Country: "GB", Access: []string{"9"}})
	for number, w := range map[string]want{
		"9 020 7946 0000":     {"GB", 44, "fixed", "low"},
		"9 07400 123456":      {"GB", 44, "mobile", "low"},
		"9 09012 345678":      {"GB", 44, "premium_rate", "high"},
		"9 00 1 201 555 0123": {"US", 1, "fixed_or_mobile", "medium"},
		"9 00 1 809 234 5678": {"DO", 1, "fixed_or_mobile", "high"},
		"9 01481 256789":      {"GG", 44, "fixed", "low"},
	} {
		check(t, d, number, w)
	}
}

// Without access codes every number is dialed as it is; with two (a
// second trunk, 99 9), the longer wins.
func TestAccessCodes(t *testing.T) {
	d := dialing(t, destination.Options{Country: "US"})
	check(t, d, "1 809 234 5678", want{"DO", 1, "fixed_or_mobile", "high"})
	check(t, d, "011 44 20 7946 0000", want{"GB", 44, "fixed", "medium"})
	d = dialing(t, destination.Options{Country: "US", Access: []string{"9", "999"}})
	check(t, d, "999 011 44 20 7946 0000", want{"GB", 44, "fixed", "medium"})
	check(t, d, "9 011 44 20 7946 0000", want{"GB", 44, "fixed", "medium"})
	check(t, d, "99 201 555 0123", want{"", 1, "unknown", "low"}) // 9 + 9201..., not 99 +
}

func TestTierOverrides(t *testing.T) {
	low, high := destination.Low, destination.High
	d := dialing(t, destination.Options{Country: "US", Access: []string{"9"},
		Types:     map[destination.Type]destination.Tier{destination.TollFree: high},
		Countries: map[string]destination.Tier{"GB": low, "DO": low, "001": high},
		Default:   &high,
	})
	check(t, d, "9 011 44 20 7946 0000", want{"GB", 44, "fixed", "low"})
	check(t, d, "9 011 44 9012345678", want{"GB", 44, "premium_rate", "high"}) // the type still wins
	check(t, d, "91 809 234 5678", want{"DO", 1, "fixed_or_mobile", "low"})
	check(t, d, "91 800 234 5678", want{"US", 1, "toll_free", "high"})
	check(t, d, "9 011 49 30 123456", want{"DE", 49, "fixed", "high"})
	check(t, d, "9 011 882 1234567890", want{"001", 882, "unknown", "high"})
	if _, err := table(t).Dialing(destination.Options{Country: "US", Countries: map[string]destination.Tier{"XX": low}}); err == nil || !strings.Contains(err.Error(), `unknown country "XX"`) {
		t.Errorf("unknown country override: %v", err)
	}
	for _, c := range []string{"", "XX", "001", "us"} {
		if _, err := table(t).Dialing(destination.Options{Country: c}); !errors.Is(err, destination.ErrOptions) {
			t.Errorf("country %q: %v", c, err)
		}
	}
}

func TestDefaultHighCountries(t *testing.T) {
	got := strings.Join(table(t).DefaultHighCountries(), " ")
	for _, c := range []string{"AG", "AI", "BB", "BM", "BS", "DM", "DO", "GD", "JM", "KN", "KY", "LC", "MS", "SX", "TC", "TT", "VC", "VG", "CU"} {
		if !strings.Contains(got, c) {
			t.Errorf("%s is not high by default (%s)", c, got)
		}
	}
	for _, c := range destination.NANPDomestic() {
		if strings.Contains(got, c) {
			t.Errorf("%s is high by default", c)
		}
	}
}

func TestClassifyAllocates(t *testing.T) {
	d := dialing(t, destination.Options{Country: "US", Access: []string{"9"}})
	n := []byte("9 011 44 20 7946 0000")
	if a := testing.AllocsPerRun(100, func() { d.Classify(n) }); a != 0 {
		t.Errorf("Classify allocates %v times", a)
	}
}

func TestCallingCodeName(t *testing.T) {
	tab := table(t)
	for cc, want := range map[int]string{1: "+1", 44: "+44", 882: "+882", 0: "", -1: "", 999: "", 1000: ""} {
		if got := tab.CallingCodeName(cc); got != want {
			t.Errorf("CallingCodeName(%d) = %q, want %q", cc, got, want)
		}
	}
}
