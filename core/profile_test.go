package core

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestProfiles pins every profile's values to its source (docs/policy.md).
func TestProfiles(t *testing.T) {
	type want struct {
		pin     CredentialRule
		pinBool [4]bool // trivial, exchange_common_patterns, dates, blocklist
		pw      CredentialRule
		pwRule  [3]int // min_classes, min_changes, trivial(0/1)
		pwBlock bool
		account AccountPolicy
	}
	tests := []struct {
		name string
		want want
	}{
		{ProfileCUC, want{
			pin:     CredentialRule{MinLength: 6, MaxLength: 64, FailedLimit: 3, ResetFailedMinutes: 30, LockoutMinutes: 30, ExpiryDays: 180, History: 5},
			pinBool: [4]bool{true, false, false, false},
			pw:      CredentialRule{MinLength: 8, MaxLength: 127, FailedLimit: 3, ResetFailedMinutes: 30, LockoutMinutes: 30, ExpiryDays: 120, History: 5},
			pwRule:  [3]int{3, 1, 1},
		}},
		{ProfileCUCESM, want{
			pin:     CredentialRule{MinLength: 6, MaxLength: 64, FailedLimit: 3, ResetFailedMinutes: 30, LockoutMinutes: 30, ExpiryDays: 180, History: 5},
			pinBool: [4]bool{true, false, false, false},
			pw:      CredentialRule{MinLength: 14, MaxLength: 127, FailedLimit: 3, ResetFailedMinutes: 30, LockoutMinutes: 30, ExpiryDays: 60, History: 24},
			pwRule:  [3]int{4, 4, 1},
			account: AccountPolicy{InactivityDays: 90, MaxSessionsTelephony: 2, MaxSessionsIMAP: 5},
		}},
		{ProfileCUCM, want{
			pin:     CredentialRule{MinLength: 8, MaxLength: 64, FailedLimit: 3, ResetFailedMinutes: 30, LockoutMinutes: 30, ExpiryDays: 180, History: 12},
			pinBool: [4]bool{true, false, false, false},
			pw:      CredentialRule{MinLength: 8, MaxLength: 127, FailedLimit: 3, ResetFailedMinutes: 30, LockoutMinutes: 30, ExpiryDays: 180, History: 12},
			pwRule:  [3]int{3, 1, 1},
		}},
		{ProfileExchange, want{
			pin:     CredentialRule{MinLength: 6, MaxLength: 24, FailedLimit: 15, ResetAfterFailures: 5, AdminMustUnlock: true, ExpiryDays: 60, History: 5},
			pinBool: [4]bool{false, true, false, false},
			pw:      CredentialRule{MinLength: 7, MaxLength: 127, ExpiryDays: 42, MinChangeMinutes: 1440, History: 24},
			pwRule:  [3]int{3, 0, 0},
		}},
		{ProfileNIST, want{
			pin:     CredentialRule{MinLength: 6, MaxLength: 64, FailedLimit: 100, AdminMustUnlock: true},
			pinBool: [4]bool{false, false, true, true},
			pw:      CredentialRule{MinLength: 15, MaxLength: 127, FailedLimit: 100, AdminMustUnlock: true},
			pwRule:  [3]int{0, 0, 0},
			pwBlock: true,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Profile(tt.name)
			if err != nil {
				t.Fatalf("Profile(%q): %v", tt.name, err)
			}
			if p.Name != tt.name || p.Extends != tt.name {
				t.Errorf("Name, Extends = %q, %q; want %q", p.Name, p.Extends, tt.name)
			}
			if p.PIN.CredentialRule != tt.want.pin {
				t.Errorf("pin rule = %+v\nwant        %+v", p.PIN.CredentialRule, tt.want.pin)
			}
			gotPIN := [4]bool{p.PIN.Trivial, p.PIN.ExchangeCommonPatterns, p.PIN.Dates, p.PIN.Blocklist}
			if gotPIN != tt.want.pinBool || p.PIN.KeypadContainsMin != 0 {
				t.Errorf("pin trivial/exchange/dates/blocklist = %v, keypad %d; want %v, 0", gotPIN, p.PIN.KeypadContainsMin, tt.want.pinBool)
			}
			if p.Password.CredentialRule != tt.want.pw {
				t.Errorf("password rule = %+v\nwant             %+v", p.Password.CredentialRule, tt.want.pw)
			}
			trivial := 0
			if p.Password.Trivial {
				trivial = 1
			}
			if got := [3]int{p.Password.MinClasses, p.Password.MinChanges, trivial}; got != tt.want.pwRule {
				t.Errorf("password min_classes/min_changes/trivial = %v; want %v", got, tt.want.pwRule)
			}
			if p.Password.Blocklist != tt.want.pwBlock {
				t.Errorf("password blocklist = %v; want %v", p.Password.Blocklist, tt.want.pwBlock)
			}
			if p.Account != tt.want.account {
				t.Errorf("account = %+v; want %+v", p.Account, tt.want.account)
			}
			if err := p.Validate(); err != nil {
				t.Errorf("profile does not validate: %v", err)
			}
		})
	}
	if len(tests) != len(ProfileNames()) {
		t.Errorf("%d profiles tested, %d exist", len(tests), len(ProfileNames()))
	}
}

func TestProfileIsACopy(t *testing.T) {
	a, _ := Profile(ProfileCUC)
	a.PIN.MinLength = 99
	b, _ := Profile(ProfileCUC)
	if b.PIN.MinLength != 6 {
		t.Fatalf("Profile returned shared state: min_length %d after a caller's change", b.PIN.MinLength)
	}
}

func TestProfileUnknown(t *testing.T) {
	for _, name := range []string{"", "CUC", "cuc ", "exchange", "nist"} {
		_, err := Profile(name)
		var pe *PolicyError
		if !errors.As(err, &pe) || pe.Field != "profile" || !strings.Contains(err.Error(), "cuc-esm") {
			t.Errorf("Profile(%q) = %v; want a PolicyError on field profile listing the profiles", name, err)
		}
	}
}

// TestProfileRoundTrip: a profile marshalled as JSON is a policy document
// that parses back to the same policy.
func TestProfileRoundTrip(t *testing.T) {
	for _, name := range ProfileNames() {
		p, _ := Profile(name)
		b, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		q, err := ParsePolicy(b)
		if err != nil {
			t.Fatalf("%s: ParsePolicy(Marshal(profile)): %v", name, err)
		}
		if !reflect.DeepEqual(p, q) {
			t.Errorf("%s: round trip differs:\n got %+v\nwant %+v", name, q, p)
		}
	}
}

// TestPolicyDocDefaults keeps the defaults table in docs/policy.md equal
// to the profiles.
func TestPolicyDocDefaults(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "docs", "policy.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, table, ok := strings.Cut(string(doc), "Defaults per profile")
	table, _, ok2 := strings.Cut(table, "### Where the defaults come from")
	if !ok || !ok2 {
		t.Fatal("docs/policy.md: defaults section not found")
	}
	want := map[string][]string{} // "pin.min_length" -> values per profile
	for _, name := range ProfileNames() {
		p, _ := Profile(name)
		b, _ := json.Marshal(p)
		var m map[string]any
		json.Unmarshal(b, &m)
		for _, section := range []string{"pin", "password", "account", "hash"} {
			for field, v := range m[section].(map[string]any) {
				want[section+"."+field] = append(want[section+"."+field], fmt.Sprint(v))
			}
		}
	}
	seen := map[string]bool{}
	for _, line := range strings.Split(table, "\n") {
		cells := strings.Split(strings.Trim(line, "| "), " | ")
		if len(cells) != 1+len(ProfileNames()) || !strings.HasPrefix(cells[0], "`") {
			continue
		}
		field := strings.Trim(cells[0], "`")
		seen[field] = true
		if w, ok := want[field]; !ok {
			t.Errorf("docs/policy.md: %s is not a policy field", field)
		} else if got := strings.Join(cells[1:], " "); got != strings.Join(w, " ") {
			t.Errorf("docs/policy.md: %s = %s; the profiles say %s", field, got, strings.Join(w, " "))
		}
	}
	for field := range want {
		if !seen[field] {
			t.Errorf("docs/policy.md: defaults table lacks %s", field)
		}
	}
}
