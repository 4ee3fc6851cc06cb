package core

import (
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// limitTests give every integer field's range per profile family, written
// out as literals (the sources' numbers, not the implementation's). Each
// is tested on both sides of both ends, as regexp/syntax tests {0,250}
// against {0,251}: lo and hi are valid, lo-1 and hi+1 are not (0 aside
// when zero means "off"). with sets other fields first.
var limitTests = []struct {
	profile string
	path    string
	lo, hi  int
	zeroOK  bool
	with    map[string]any
}{
	// Cisco: Unified CM's table (seed 003) serves Unity Connection too.
	{profile: "cuc", path: "pin.min_length", lo: 1, hi: 64},
	{profile: "cuc", path: "pin.max_length", lo: 6, hi: 64},
	{profile: "cuc", path: "pin.failed_limit", lo: 1, hi: 100, zeroOK: true},
	{profile: "cuc", path: "pin.reset_failed_minutes", lo: 1, hi: 120},
	{profile: "cuc", path: "pin.lockout_minutes", lo: 1, hi: 1440},
	{profile: "cuc", path: "pin.lockout_minutes", lo: 0, hi: 0, with: map[string]any{"pin.admin_must_unlock": true}},
	{profile: "cuc", path: "pin.lockout_minutes", lo: 0, hi: 1440, with: map[string]any{"pin.failed_limit": 0}},
	{profile: "cuc", path: "pin.reset_after_failures", lo: 0, hi: 0},
	{profile: "cuc", path: "pin.expiry_days", lo: 1, hi: 365, zeroOK: true},
	{profile: "cuc", path: "pin.min_change_minutes", lo: 0, hi: 129600},
	{profile: "cuc", path: "pin.history", lo: 0, hi: 25},
	{profile: "cuc", path: "pin.keypad_contains_min", lo: 3, hi: 4, zeroOK: true},
	{profile: "cuc", path: "password.min_length", lo: 1, hi: 64},
	{profile: "cuc", path: "password.max_length", lo: 8, hi: 127},
	{profile: "cuc", path: "password.failed_limit", lo: 1, hi: 100, zeroOK: true},
	{profile: "cuc", path: "password.reset_failed_minutes", lo: 1, hi: 120},
	{profile: "cuc", path: "password.lockout_minutes", lo: 1, hi: 1440},
	{profile: "cuc", path: "password.reset_after_failures", lo: 0, hi: 0},
	{profile: "cuc", path: "password.expiry_days", lo: 1, hi: 365, zeroOK: true},
	{profile: "cuc", path: "password.min_change_minutes", lo: 0, hi: 129600},
	{profile: "cuc", path: "password.history", lo: 0, hi: 25},
	{profile: "cuc", path: "password.min_classes", lo: 0, hi: 4},
	{profile: "cuc", path: "password.min_changes", lo: 0, hi: 8},
	{profile: "cuc", path: "password.min_changes", lo: 0, hi: 12, with: map[string]any{"password.min_length": 12}},
	{profile: "cuc", path: "account.inactivity_days", lo: 0, hi: 5000},
	{profile: "cuc", path: "account.max_sessions_telephony", lo: 0, hi: 100},
	{profile: "cuc", path: "account.max_sessions_imap", lo: 0, hi: 100},
	// PBKDF2 iterations of new records: NIST SP 800-132's 1 000 up to the
	// verification cap (issue 14 items 1 and 22), in every family.
	{profile: "cuc", path: "hash.iterations", lo: 1000, hi: 1000000},
	{profile: "exchange-um", path: "hash.iterations", lo: 1000, hi: 1000000},
	{profile: "nist-800-63b-4", path: "hash.iterations", lo: 1000, hi: 1000000},
	{profile: "cucm", path: "pin.min_length", lo: 1, hi: 64},
	{profile: "cucm", path: "pin.max_length", lo: 8, hi: 64},
	{profile: "cucm", path: "password.history", lo: 0, hi: 25},

	// Enhanced Security Mode: passwords 14..127, four classes, history 24,
	// expiry 1..60, at least 4 changes; PINs keep the Cisco ranges.
	{profile: "cuc-esm", path: "password.min_length", lo: 14, hi: 127},
	{profile: "cuc-esm", path: "password.max_length", lo: 14, hi: 127},
	{profile: "cuc-esm", path: "password.min_classes", lo: 4, hi: 4},
	{profile: "cuc-esm", path: "password.history", lo: 24, hi: 25},
	{profile: "cuc-esm", path: "password.expiry_days", lo: 1, hi: 60},
	{profile: "cuc-esm", path: "password.min_changes", lo: 4, hi: 14},
	{profile: "cuc-esm", path: "pin.min_length", lo: 1, hi: 64},
	{profile: "cuc-esm", path: "pin.history", lo: 0, hi: 25},
	{profile: "cuc-esm", path: "account.inactivity_days", lo: 0, hi: 5000},

	// Exchange UM (seed 002).
	{profile: "exchange-um", path: "pin.min_length", lo: 4, hi: 24, zeroOK: true},
	{profile: "exchange-um", path: "pin.max_length", lo: 6, hi: 24},
	{profile: "exchange-um", path: "pin.max_length", lo: 1, hi: 24, with: map[string]any{"pin.min_length": 0}},
	{profile: "exchange-um", path: "pin.failed_limit", lo: 1, hi: 999, with: map[string]any{"pin.reset_after_failures": 0}},
	{profile: "exchange-um", path: "pin.reset_after_failures", lo: 1, hi: 14, zeroOK: true},
	{profile: "exchange-um", path: "pin.reset_after_failures", lo: 1, hi: 998, zeroOK: true, with: map[string]any{"pin.failed_limit": 999}},
	{profile: "exchange-um", path: "pin.reset_after_failures", lo: 0, hi: 0, with: map[string]any{"pin.failed_limit": 1}},
	{profile: "exchange-um", path: "pin.reset_failed_minutes", lo: 0, hi: 0},
	{profile: "exchange-um", path: "pin.lockout_minutes", lo: 0, hi: 0},
	{profile: "exchange-um", path: "pin.expiry_days", lo: 1, hi: 999, zeroOK: true},
	{profile: "exchange-um", path: "pin.min_change_minutes", lo: 0, hi: 0},
	{profile: "exchange-um", path: "pin.history", lo: 1, hi: 20},
	{profile: "exchange-um", path: "pin.keypad_contains_min", lo: 3, hi: 4, zeroOK: true},
	// Its password half has tollgate's generic bounds.
	{profile: "exchange-um", path: "password.min_length", lo: 1, hi: 256, with: map[string]any{"password.max_length": 256}},
	{profile: "exchange-um", path: "password.max_length", lo: 7, hi: 256},
	{profile: "exchange-um", path: "password.failed_limit", lo: 1, hi: 999, zeroOK: true, with: map[string]any{"password.lockout_minutes": 30}},
	{profile: "exchange-um", path: "password.reset_failed_minutes", lo: 1, hi: 99999, zeroOK: true},
	{profile: "exchange-um", path: "password.lockout_minutes", lo: 0, hi: 99999},
	{profile: "exchange-um", path: "password.expiry_days", lo: 1, hi: 999, zeroOK: true},
	{profile: "exchange-um", path: "password.min_change_minutes", lo: 0, hi: 129600},
	{profile: "exchange-um", path: "password.history", lo: 0, hi: 25},
	{profile: "exchange-um", path: "password.min_classes", lo: 0, hi: 4},
	{profile: "exchange-um", path: "password.min_changes", lo: 0, hi: 7},

	// NIST SP 800-63B-4.
	{profile: "nist-800-63b-4", path: "pin.min_length", lo: 4, hi: 64},
	{profile: "nist-800-63b-4", path: "pin.max_length", lo: 6, hi: 64},
	{profile: "nist-800-63b-4", path: "pin.failed_limit", lo: 1, hi: 100},
	{profile: "nist-800-63b-4", path: "pin.expiry_days", lo: 0, hi: 0},
	{profile: "nist-800-63b-4", path: "pin.keypad_contains_min", lo: 0, hi: 0},
	{profile: "nist-800-63b-4", path: "pin.reset_failed_minutes", lo: 1, hi: 99999, zeroOK: true},
	{profile: "nist-800-63b-4", path: "pin.lockout_minutes", lo: 0, hi: 0},
	{profile: "nist-800-63b-4", path: "pin.lockout_minutes", lo: 1, hi: 99999, with: map[string]any{"pin.admin_must_unlock": false}},
	{profile: "nist-800-63b-4", path: "password.min_length", lo: 8, hi: 256, with: map[string]any{"password.max_length": 256}},
	{profile: "nist-800-63b-4", path: "password.max_length", lo: 64, hi: 256},
	{profile: "nist-800-63b-4", path: "password.failed_limit", lo: 1, hi: 100},
	{profile: "nist-800-63b-4", path: "password.expiry_days", lo: 0, hi: 0},
	{profile: "nist-800-63b-4", path: "password.min_classes", lo: 0, hi: 0},
	{profile: "nist-800-63b-4", path: "password.history", lo: 0, hi: 25},
}

func TestValidateLimits(t *testing.T) {
	for _, tt := range limitTests {
		try := func(v int, valid bool) {
			t.Helper()
			p, err := Profile(tt.profile)
			if err != nil {
				t.Fatal(err)
			}
			for path, val := range tt.with {
				setPolicyField(t, p, path, val)
			}
			setPolicyField(t, p, tt.path, v)
			err = p.Validate()
			name := tt.profile + " " + tt.path + "=" + strconv.Itoa(v)
			if len(tt.with) > 0 {
				name += fmt.Sprint(" with ", tt.with)
			}
			if valid {
				if err != nil {
					t.Errorf("%s: %v; want valid", name, err)
				}
				return
			}
			var pe *PolicyError
			if !errors.As(err, &pe) {
				t.Errorf("%s: %v; want a PolicyError", name, err)
				return
			}
			if pe.Field != tt.path || pe.Value != strconv.Itoa(v) {
				t.Errorf("%s: error names %s = %s; want %s = %d (%v)", name, pe.Field, pe.Value, tt.path, v, err)
			}
			if msg := err.Error(); !strings.Contains(msg, tt.path) || !strings.Contains(msg, strconv.Itoa(v)) || !strings.Contains(msg, pe.Allowed) || pe.Allowed == "" {
				t.Errorf("%s: message %q does not name field, value and allowed range", name, msg)
			}
		}
		try(tt.lo, true)
		try(tt.hi, true)
		try(tt.lo-1, tt.zeroOK && tt.lo-1 == 0)
		try(tt.hi+1, false)
		if tt.zeroOK {
			try(0, true)
		}
	}
}

// TestLimitTestsCoverEveryField fails when a policy field is added without
// a range test for it in every profile family.
func TestLimitTestsCoverEveryField(t *testing.T) {
	covered := map[string]bool{}
	for _, tt := range limitTests {
		covered[tt.profile+" "+tt.path] = true
	}
	families := map[string][]string{"cuc": nil, "cuc-esm": nil, "exchange-um": nil, "nist-800-63b-4": nil}
	sections := map[string]reflect.Type{
		"pin": reflect.TypeFor[PINPolicy](), "password": reflect.TypeFor[PasswordPolicy](), "account": reflect.TypeFor[AccountPolicy](),
	}
	for section, typ := range sections {
		fs := policyFields[typ]
		for _, name := range fs.names {
			if fs.byName[name].kind != reflect.Int {
				continue
			}
			path := section + "." + name
			any := false
			for profile := range families {
				any = any || covered[profile+" "+path]
			}
			if !any {
				t.Errorf("no limit test for %s", path)
			}
		}
	}
	for _, tt := range limitTests {
		if _, ok := families[tt.profile]; !ok && tt.profile != "cucm" {
			t.Errorf("limit test for unknown profile %q", tt.profile)
		}
	}
}

func TestValidateBooleans(t *testing.T) {
	tests := []struct {
		profile, path string
		val, valid    bool
	}{
		{"nist-800-63b-4", "pin.trivial", true, false},
		{"nist-800-63b-4", "password.trivial", true, false},
		{"nist-800-63b-4", "pin.exchange_common_patterns", true, true}, // whole-value patterns
		{"nist-800-63b-4", "pin.dates", false, true},
		{"exchange-um", "pin.admin_must_unlock", false, false},
		{"exchange-um", "pin.trivial", true, true}, // stricter than Exchange, not invalid
		{"cuc", "pin.exchange_common_patterns", true, true},
		{"cuc", "pin.blocklist", true, true},
		{"cuc-esm", "password.trivial", false, true},
		// sequence_wraps changes a rule: valid where that rule is on.
		{"cuc", "pin.sequence_wraps", true, true},
		{"cucm", "password.sequence_wraps", true, true},
		{"cuc-esm", "password.sequence_wraps", true, true},
		{"exchange-um", "pin.sequence_wraps", true, true},
		{"exchange-um", "password.sequence_wraps", true, false},
		{"nist-800-63b-4", "pin.sequence_wraps", true, false},
		{"nist-800-63b-4", "password.sequence_wraps", true, false},
		{"nist-800-63b-4", "pin.sequence_wraps", false, true},
	}
	for _, tt := range tests {
		p, _ := Profile(tt.profile)
		setPolicyField(t, p, tt.path, tt.val)
		err := p.Validate()
		if tt.valid != (err == nil) {
			t.Errorf("%s %s=%v: Validate() = %v; want valid %v", tt.profile, tt.path, tt.val, err, tt.valid)
		}
		var pe *PolicyError
		if err != nil && (!errors.As(err, &pe) || pe.Field != tt.path || pe.Allowed != strconv.FormatBool(!tt.val)) {
			t.Errorf("%s %s=%v: %#v; want a PolicyError on %s allowing %v", tt.profile, tt.path, tt.val, err, tt.path, !tt.val)
		}
	}
}

func TestValidateNameAndExtends(t *testing.T) {
	p, _ := Profile("cuc")
	p.Name = strings.Repeat("é", 64)
	if err := p.Validate(); err != nil {
		t.Errorf("64-character name: %v", err)
	}
	p.Name += "é"
	if err := p.Validate(); err == nil || !strings.Contains(err.Error(), "name") {
		t.Errorf("65-character name: %v; want an error on name", err)
	}
	p, _ = Profile("cuc")
	p.Extends = ""
	if err := p.Validate(); err != nil {
		t.Errorf("empty Extends means %s: %v", DefaultProfile, err)
	}
	p.Extends = "cisco"
	var pe *PolicyError
	if err := p.Validate(); !errors.As(err, &pe) || pe.Field != "extends" {
		t.Errorf("unknown Extends: %v; want an error on extends", err)
	}
}

// setPolicyField sets the field at path ("pin.min_length") of p.
func setPolicyField(t *testing.T, p *Policy, path string, val any) {
	t.Helper()
	section, name, _ := strings.Cut(path, ".")
	var v reflect.Value
	switch section {
	case "pin":
		v = reflect.ValueOf(&p.PIN).Elem()
	case "password":
		v = reflect.ValueOf(&p.Password).Elem()
	case "account":
		v = reflect.ValueOf(&p.Account).Elem()
	case "hash":
		v = reflect.ValueOf(&p.Hash).Elem()
	default:
		t.Fatalf("bad path %q", path)
	}
	f, ok := policyFields[v.Type()].byName[name]
	if !ok {
		t.Fatalf("no field %q", path)
	}
	v.FieldByIndex(f.index).Set(reflect.ValueOf(val))
}
