package main

import (
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/nyaruka/phonenumbers"
	"github.com/tollgate/tollgate/core/artifact"
	"github.com/tollgate/tollgate/core/destination"
	"google.golang.org/protobuf/proto"
)

var (
	genOnce sync.Once
	genOut  *Output
	genErr  error
)

func generated(t *testing.T) *Output {
	t.Helper()
	genOnce.Do(func() { genOut, genErr = Generate() })
	if genErr != nil {
		t.Fatal(genErr)
	}
	return genOut
}

func loaded(t *testing.T) *destination.Table {
	t.Helper()
	a, err := artifact.Parse(generated(t).Artifact)
	if err != nil {
		t.Fatal(err)
	}
	tab, err := destination.Load(a.Payload)
	if err != nil {
		t.Fatal(err)
	}
	return tab
}

// reference is libphonenumber's answer for a number of calling code cc
// and national significant number nsn: region code ("" when none) and
// type, in core/destination's numbering.
func reference(cc int, nsn string) (string, destination.Type) {
	v, _ := strconv.ParseUint(nsn, 10, 64)
	num := &phonenumbers.PhoneNumber{CountryCode: proto.Int32(int32(cc)), NationalNumber: proto.Uint64(v)}
	if z := len(nsn) - len(strconv.FormatUint(v, 10)); z > 0 {
		num.ItalianLeadingZero = proto.Bool(true)
		num.NumberOfLeadingZeros = proto.Int32(int32(z))
	}
	region := phonenumbers.GetRegionCodeForNumber(num)
	return region, pnType[phonenumbers.GetNumberType(num)]
}

var pnType = map[phonenumbers.PhoneNumberType]destination.Type{
	phonenumbers.FIXED_LINE:           destination.FixedLine,
	phonenumbers.MOBILE:               destination.Mobile,
	phonenumbers.FIXED_LINE_OR_MOBILE: destination.FixedOrMobile,
	phonenumbers.TOLL_FREE:            destination.TollFree,
	phonenumbers.PREMIUM_RATE:         destination.PremiumRate,
	phonenumbers.SHARED_COST:          destination.SharedCost,
	phonenumbers.VOIP:                 destination.VoIP,
	phonenumbers.PERSONAL_NUMBER:      destination.Personal,
	phonenumbers.PAGER:                destination.Pager,
	phonenumbers.UAN:                  destination.UAN,
	phonenumbers.VOICEMAIL:            destination.Voicemail,
	phonenumbers.UNKNOWN:              destination.Unknown,
}

// sample returns the numbers the agreement test tries for calling code
// cc: every example number of every region and type, each one mutated
// (a digit changed, one dropped, one added, truncated), random numbers of
// every length 1..18 behind prefixes taken from the examples, and random
// walks of the artifact's automaton towards valid numbers.
func sample(tab *destination.Table, cc int, r *rand.Rand, perCode int) []string {
	var examples []string
	for _, rc := range phonenumbers.GetRegionCodesForCountryCode(cc) {
		var m *phonenumbers.PhoneMetadata
		if rc == "001" {
			coll, _ := phonenumbers.MetadataCollection()
			for _, x := range coll.Metadata {
				if x.GetId() == "001" && int(x.GetCountryCode()) == cc {
					m = x
				}
			}
		} else {
			coll, _ := phonenumbers.MetadataCollection()
			for _, x := range coll.Metadata {
				if x.GetId() == rc {
					m = x
				}
			}
		}
		for _, d := range descs(m) {
			if e := d.GetExampleNumber(); e != "" {
				examples = append(examples, e)
			}
		}
	}
	set := map[string]bool{}
	add := func(s string) {
		if s != "" && len(s) <= 18 {
			set[s] = true
		}
	}
	digit := func() byte { return byte('0' + r.IntN(10)) }
	for _, e := range examples {
		add(e)
		for i := 0; i < len(e); i++ {
			b := []byte(e)
			b[i] = digit()
			add(string(b))
			add(e[:i] + e[i+1:])
			add(e[:i] + string(digit()) + e[i:])
			add(e[:i+1])
		}
		add(e + string(digit()))
	}
	for len(set) < perCode/2 {
		prefix := ""
		if len(examples) > 0 && r.IntN(4) > 0 {
			e := examples[r.IntN(len(examples))]
			prefix = e[:r.IntN(min(len(e), 5)+1)]
		}
		n := 1 + r.IntN(18)
		var sb strings.Builder
		sb.WriteString(prefix)
		for sb.Len() < n {
			sb.WriteByte(digit())
		}
		add(sb.String()[:max(n, 1)])
	}
	// Examples with their last digits redrawn: mostly valid numbers of
	// the same range, which exercise the types rather than "unknown".
	for tries := 0; len(set) < perCode && len(examples) > 0 && tries < perCode*4; tries++ {
		e := []byte(examples[r.IntN(len(examples))])
		for k := 1 + r.IntN(min(len(e), 5)); k > 0; k-- {
			e[len(e)-k] = digit()
		}
		add(string(e))
	}
	out := make([]string, 0, len(set))
	for s := range set {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// TestAgreesWithPhonenumbers compares the artifact's classification of
// national significant numbers with phonenumbers' GetRegionCodeForNumber
// and GetNumberType, calling code by calling code.
func TestAgreesWithPhonenumbers(t *testing.T) {
	tab := loaded(t)
	r := rand.New(rand.NewPCG(18, 1))
	per := 3000
	if testing.Short() {
		per = 300
	}
	total, agree, valid := 0, 0, 0
	for _, cc := range tab.CallingCodes() {
		for _, nsn := range sample(tab, cc, r, per) {
			total++
			wantRegion, wantType := reference(cc, nsn)
			c := tab.NSN(cc, nsn)
			got := tab.Destination(c)
			gotRegion := got.Country
			if wantType != destination.Unknown {
				valid++
			}
			if gotRegion == wantRegion && got.NumberType == wantType {
				agree++
				continue
			}
			if total-agree <= 20 {
				t.Errorf("+%d %s: artifact says %q %s, phonenumbers %q %s", cc, nsn, gotRegion, got.NumberType, wantRegion, wantType)
			}
		}
	}
	t.Logf("agreement: %d of %d numbers (%d valid per phonenumbers), %d calling codes", agree, total, valid, len(tab.CallingCodes()))
	if agree != total {
		t.Errorf("%d numbers disagree", total-agree)
	}
	if valid < total/3 {
		t.Errorf("only %d of %d sampled numbers are valid: the sample does not exercise the types", valid, total)
	}
}

// The sample covers every type libphonenumber knows, so agreement is not
// agreement on "unknown".
func TestSampleCoversTypes(t *testing.T) {
	tab := loaded(t)
	seen := map[destination.Type]bool{}
	r := rand.New(rand.NewPCG(18, 2))
	for _, cc := range tab.CallingCodes() {
		for _, nsn := range sample(tab, cc, r, 200) {
			_, ty := reference(cc, nsn)
			seen[ty] = true
		}
	}
	for _, ty := range []destination.Type{destination.FixedLine, destination.Mobile, destination.FixedOrMobile, destination.TollFree, destination.PremiumRate, destination.SharedCost, destination.VoIP, destination.Personal, destination.Pager, destination.UAN, destination.Voicemail} {
		if !seen[ty] {
			t.Errorf("no sampled number is %s", ty)
		}
	}
}
