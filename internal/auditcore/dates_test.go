package auditcore

import (
	"strconv"
	"testing"
	"time"
)

func TestParseDate(t *testing.T) {
	for in, want := range map[string]string{"1980-07-04": "1980-07-04", "07/04/1980": "1980-07-04", "7/4/1980": "1980-07-04", "19800704": "1980-07-04", "04.07.1980": "1980-07-04"} {
		if got, ok := parseDate(in); !ok || got != want {
			t.Errorf("parseDate(%q) = %q, %v", in, got, ok)
		}
	}
	for _, in := range []string{"1980-13-01", "yesterday", "04/07"} {
		if _, ok := parseDate(in); ok {
			t.Errorf("parseDate(%q) accepted", in)
		}
	}
}

// The hand-written reader agrees with time.Parse over its layouts, on
// every date of four years (one a leap year, one a century) in each
// layout and on malformed neighbours.
func TestParseDateMatchesTime(t *testing.T) {
	layouts := []string{"2006-01-02", "01/02/2006", "1/2/2006", "20060102", "02.01.2006", "2006/01/02"}
	want := func(s string) (string, bool) {
		for _, l := range layouts {
			if tm, err := time.Parse(l, s); err == nil {
				return tm.Format("2006-01-02"), true
			}
		}
		return "", false
	}
	var inputs []string
	for _, y := range []int{1900, 1980, 2000, 2023} {
		for m := 0; m <= 13; m++ {
			for d := 0; d <= 32; d++ {
				tm := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
				for _, l := range layouts {
					inputs = append(inputs, tm.Format(l))
				}
				ys, ms, ds := strconv.Itoa(y), strconv.Itoa(m), strconv.Itoa(d)
				inputs = append(inputs, ys+"-"+ms+"-"+ds, ms+"/"+ds+"/"+ys, ds+"."+ms+"."+ys, ys+ms+ds)
			}
		}
	}
	inputs = append(inputs, "", "1/2/06", "1/2/2006x", "x1/2/2006", "13/01/2020", "1//2006", "2020-1-01", "+980-07-04", "1980-07-0x", "123/1/2000", "1/123/2000")
	for _, in := range inputs {
		g, gok := parseDate(in)
		w, wok := want(in)
		if g != w || gok != wok {
			t.Errorf("parseDate(%q) = %q, %v; time.Parse: %q, %v", in, g, gok, w, wok)
		}
	}
}
