package api

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tollgate/tollgate/core"
)

// TestPINDateOfBirth: a dob the date rule cannot read is a bad_request
// naming context.dob and the accepted format, never silently ignored; a
// real YYYY-MM-DD date runs the rule. The message never repeats the value.
func TestPINDateOfBirth(t *testing.T) {
	for _, tc := range []struct {
		dob      string
		bad      bool
		accepted bool // for a good dob: the verdict on PIN 471990
	}{
		{"1990-07-04", false, false}, // 4 7 1990: the date rule refuses
		{"1992-02-29", false, true},  // leap day
		{"2000-02-29", false, true},  // divisible by 400: leap
		{"1985-12-31", false, true},
		{"", false, true}, // no dob: the rule does not apply
		{"31-02-1990", true, false},
		{"04/07/1990", true, false},
		{"1990-02-31", true, false},
		{"1990-02-29", true, false}, // not a leap year
		{"1900-02-29", true, false}, // divisible by 100, not 400
		{"1990-00-10", true, false},
		{"1990-13-01", true, false},
		{"1990-07-00", true, false},
		{"1990-7-4", true, false},
		{"19900704", true, false},
		{"1990-07-04T00:00:00Z", true, false},
		{" 1990-07-04", true, false},
		{"１９９０-07-04", true, false}, // fullwidth digits
		{"abcd-ef-gh", true, false},
	} {
		req := `{"policy":"nist-800-63b-4","pin":"471990","context":{"dob":"` + tc.dob + `","year":2026}}`
		out, err := NewSession().Do("pin", []byte(req), nil)
		if tc.bad {
			e, ok := err.(*Error)
			if !ok || e.Code != ErrBadRequest || e.Field != "context.dob" {
				t.Errorf("dob %q: got %s (%v), want bad_request on context.dob", tc.dob, out, err)
				continue
			}
			if !strings.Contains(string(out), "YYYY-MM-DD") {
				t.Errorf("dob %q: message does not give the format: %s", tc.dob, out)
			}
			if tc.dob != "" && strings.Contains(string(out), tc.dob) {
				t.Errorf("dob %q: message repeats the value: %s", tc.dob, out)
			}
			continue
		}
		if err != nil {
			t.Errorf("dob %q: %v", tc.dob, err)
			continue
		}
		if got := strings.HasPrefix(string(out), `{"accepted":true`); got != tc.accepted {
			t.Errorf("dob %q: %s, want accepted=%v", tc.dob, out, tc.accepted)
		}
	}
}

// FuzzDateOfBirth: the api accepts exactly the dob values Go's time
// package parses as a date (the CLI's --dob check), so the CLI and every
// engine refuse the same spellings.
func FuzzDateOfBirth(f *testing.F) {
	for _, s := range []string{"1990-07-04", "1992-02-29", "1990-02-29", "31-02-1990", "0000-01-01", "1990-7-4", "+990-07-04", "1990-07-4 "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, dob string) {
		_, perr := time.Parse(time.DateOnly, dob)
		if got, want := core.ValidDateOfBirth(dob), perr == nil; got != want {
			t.Fatalf("ValidDateOfBirth(%q) = %v, time.Parse says %v", dob, got, want)
		}
	})
}

// TestDateOfBirthEveryDay: every day from 1900 to 2100 is accepted and the
// day after each month's last is refused, as by the calendar.
func TestDateOfBirthEveryDay(t *testing.T) {
	for d := time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC); d.Year() <= 2100; d = d.AddDate(0, 0, 1) {
		if s := d.Format(time.DateOnly); !core.ValidDateOfBirth(s) {
			t.Fatalf("%s refused", s)
		}
		if next := d.AddDate(0, 0, 1); next.Day() == 1 {
			if s := fmt.Sprintf("%04d-%02d-%02d", d.Year(), d.Month(), d.Day()+1); core.ValidDateOfBirth(s) {
				t.Fatalf("%s accepted", s)
			}
		}
	}
}
