package main

import (
	"testing"

	"github.com/tollgate/tollgate/core/destination"
)

// Hand-picked numbers, each checked against phonenumbers and against
// what the test says it is: shared calling codes decided by leading
// digits (NANP, +44, +7, +39 and the Vatican), Italian leading zeros,
// the networks, and lengths at and past libphonenumber's 17.
func TestKnownNumbers(t *testing.T) {
	tab := loaded(t)
	for _, c := range []struct {
		cc      int
		nsn     string
		country string
		typ     destination.Type
	}{
		{1, "2015550123", "US", destination.FixedOrMobile},
		{1, "8092345678", "DO", destination.FixedOrMobile},
		{1, "8762101234", "JM", destination.Mobile},
		{1, "2842291234", "VG", destination.FixedLine},
		{1, "9002345678", "US", destination.PremiumRate},
		{1, "8002345678", "US", destination.TollFree},
		{1, "6042345678", "CA", destination.FixedOrMobile},
		{1, "3402345678", "VI", destination.Unknown},
		{1, "5551234", "", destination.Unknown},
		{44, "2079460000", "GB", destination.FixedLine},
		{44, "7400123456", "GB", destination.Mobile},
		{44, "9012345678", "GB", destination.PremiumRate},
		{44, "1481256789", "GG", destination.FixedLine},
		{7, "7010000000", "KZ", destination.Mobile},
		{39, "0612345678", "IT", destination.FixedLine},
		{39, "0669812345", "VA", destination.FixedLine},
		{882, "1234567890", "001", destination.Unknown},
		{881, "612345678", "001", destination.Mobile},
		{979, "123456789", "001", destination.PremiumRate},
		{49, "12345678901234567", "DE", destination.Unknown},
		{49, "123456789012345678", "DE", destination.Unknown},
	} {
		wantRegion, wantType := reference(c.cc, c.nsn)
		got := tab.Destination(tab.NSN(c.cc, c.nsn))
		if got.Country != wantRegion || got.NumberType != wantType {
			t.Errorf("+%d %s: artifact %q %s, phonenumbers %q %s", c.cc, c.nsn, got.Country, got.NumberType, wantRegion, wantType)
		}
		if wantRegion != c.country || wantType != c.typ {
			t.Errorf("+%d %s: phonenumbers says %q %s, the test expects %q %s", c.cc, c.nsn, wantRegion, wantType, c.country, c.typ)
		}
	}
}
