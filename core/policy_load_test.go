package core

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestParsePolicy(t *testing.T) {
	tests := []struct {
		doc   string
		check func(p *Policy) bool
		what  string
	}{
		{`{}`, func(p *Policy) bool {
			c, _ := Profile(DefaultProfile)
			return reflect.DeepEqual(p, c)
		}, "an empty document is the default profile"},
		{`"cucm"`, func(p *Policy) bool { return p.Name == "cucm" && p.PIN.History == 12 }, "a string names a profile"},
		{` {"extends": "exchange-um"} `, func(p *Policy) bool {
			return p.Name == "exchange-um" && p.Extends == "exchange-um" && p.PIN.ExchangeCommonPatterns
		}, "extends alone keeps the profile's name"},
		{`{"name": "acme voicemail", "pin": {"min_length": 8}}`, func(p *Policy) bool {
			return p.Name == "acme voicemail" && p.Extends == "cuc" && p.PIN.MinLength == 8 && p.PIN.Trivial && p.Password.MinLength == 8
		}, "overrides one field, keeps the rest of cuc"},
		{`{"pin": {"min_length": 8}, "extends": "nist-800-63b-4"}`, func(p *Policy) bool {
			return p.Extends == ProfileNIST && p.PIN.MinLength == 8 && p.PIN.Blocklist
		}, "extends may come after the sections"},
		{`{"extends": "exchange-um", "pin": {"min_length": 0}}`, func(p *Policy) bool { return p.PIN.MinLength == 0 }, "Exchange: 0 = no PIN"},
		{`{"extends": "exchange-um", "pin": {"exchange_common_patterns": false, "trivial": true, "dates": true, "blocklist": true, "keypad_contains_min": 4}}`,
			func(p *Policy) bool {
				return !p.PIN.ExchangeCommonPatterns && p.PIN.Trivial && p.PIN.Dates && p.PIN.Blocklist && p.PIN.KeypadContainsMin == 4
			}, "booleans switch rules on and off"},
		{`{"pin": {"admin_must_unlock": true, "lockout_minutes": 0}}`, func(p *Policy) bool {
			return p.PIN.AdminMustUnlock && p.PIN.LockoutMinutes == 0
		}, "administrator must unlock"},
		{`{"account": {"inactivity_days": 90, "max_sessions_telephony": 2, "max_sessions_imap": 5}}`, func(p *Policy) bool {
			return p.Account == AccountPolicy{InactivityDays: 90, MaxSessionsTelephony: 2, MaxSessionsIMAP: 5}
		}, "account section"},
		{`{"name": "Zürich – Büro"}`, func(p *Policy) bool { return p.Name == "Zürich – Büro" }, "names may be any Unicode"},
		{`{"password": {"min_length": 12, "min_changes": 12, "max_length": 12}}`, func(p *Policy) bool {
			return p.Password.MinLength == 12 && p.Password.MaxLength == 12 && p.Password.MinChanges == 12
		}, "cross-field limits use the final values, whatever the order"},
	}
	for _, tt := range tests {
		p, err := ParsePolicy([]byte(tt.doc))
		if err != nil {
			t.Errorf("ParsePolicy(%#q): %v (%s)", tt.doc, err, tt.what)
			continue
		}
		if !tt.check(p) {
			t.Errorf("ParsePolicy(%#q) = %+v; %s", tt.doc, p, tt.what)
		}
	}
}

// TestParsePolicyErrors: each bad document gives a PolicyError naming the
// field's full path, and a message naming field, value and what is allowed.
func TestParsePolicyErrors(t *testing.T) {
	tests := []struct {
		doc, field string
		msg        []string // substrings of Error()
	}{
		{`{"pin": {"min_lenght": 6}}`, "pin.min_lenght", []string{"unknown field", "did you mean min_length?"}},
		{`{"pins": {}}`, "pins", []string{"unknown field", "did you mean pin?"}},
		{`{"password": {"zzz": 1}}`, "password.zzz", []string{"unknown field", "min_classes"}},
		{`{"account": {"inactivity": 1}}`, "account.inactivity", []string{"unknown field"}},
		{`{"pin": {"min_length": "6"}}`, "pin.min_length", []string{`"6" is a string; want an integer`}},
		{`{"pin": {"min_length": 6.5}}`, "pin.min_length", []string{"6.5 is not a whole number; want an integer"}},
		{`{"pin": {"min_length": 1e1}}`, "pin.min_length", []string{"want an integer"}},
		{`{"pin": {"min_length": 99999999999999999999999}}`, "pin.min_length", []string{"is too large; want an integer"}},
		{`{"pin": {"min_length": null}}`, "pin.min_length", []string{"null; want an integer"}},
		{`{"pin": {"trivial": 1}}`, "pin.trivial", []string{"want true or false"}},
		{`{"pin": {"trivial": "yes"}}`, "pin.trivial", []string{"want true or false"}},
		{`{"pin": []}`, "pin", []string{"an array; want an object"}},
		{`{"pin": null}`, "pin", []string{"want an object"}},
		{`{"name": 7}`, "name", []string{"want a string"}},
		{`{"extends": ["cuc"]}`, "extends", []string{"want a string"}},
		{`{"extends": "nist"}`, "extends", []string{`"nist" is not a built-in profile`, "nist-800-63b-4"}},
		{`{"extends": ""}`, "extends", []string{"not a built-in profile"}},
		{`{"pin": {"min_length": 7}, "pin": {"min_length": 8}}`, "pin", []string{"more than once"}},
		{`{"pin": {"history": 1, "history": 2}}`, "pin.history", []string{"more than once"}},
		{`{"name": ""}`, "name", []string{"want 1..64 characters"}},
		{`{"name": "` + strings.Repeat("x", 65) + `"}`, "name", []string{"65 characters"}},
		{`{"name": "say \"hi\""}`, "name", []string{"quotation marks"}},
		{`{"name": "a\tb"}`, "name", []string{"tabs"}},
		{`{"pin": {"min_length": 99}}`, "pin.min_length", []string{"99 is out of range 1..64"}},
		{`{"extends": "exchange-um", "pin": {"min_length": 99}}`, "pin.min_length", []string{"99 is out of range 4..24, or 0 for no PIN"}},
		{`{"extends": "exchange-um", "pin": {"min_length": 3}}`, "pin.min_length", []string{"3 is out of range 4..24"}},
		{`{"extends": "exchange-um", "pin": {"reset_after_failures": 15}}`, "pin.reset_after_failures", []string{"15 is out of range 1..14, or 0 for never", "pin.failed_limit, 15"}},
		{`{"extends": "exchange-um", "pin": {"failed_limit": 5}}`, "pin.reset_after_failures", []string{"5 is out of range 1..4"}},
		{`{"extends": "exchange-um", "pin": {"admin_must_unlock": false}}`, "pin.admin_must_unlock", []string{"false is not allowed; want true"}},
		{`{"extends": "cuc-esm", "password": {"expiry_days": 61}}`, "password.expiry_days", []string{"61 is out of range 1..60"}},
		{`{"extends": "cuc-esm", "password": {"expiry_days": 0}}`, "password.expiry_days", []string{"0 is out of range 1..60"}},
		{`{"password": {"min_changes": 9}}`, "password.min_changes", []string{"9 is out of range 0..8"}},
		{`{"pin": {"admin_must_unlock": true}}`, "pin.lockout_minutes", []string{"30 is out of range 0 (admin_must_unlock is true)"}},
		{`{"extends": "nist-800-63b-4", "password": {"expiry_days": 90}}`, "password.expiry_days", []string{"forced periodic changes"}},
		{`{"extends": "nist-800-63b-4", "password": {"trivial": true}}`, "password.trivial", []string{"true is not allowed; want false", "composition"}},
		{`{"extends": "nist-800-63b-4", "pin": {"failed_limit": 101}}`, "pin.failed_limit", []string{"101 is out of range 1..100"}},
		{`[]`, "", []string{"JSON object or a profile name string, not an array"}},
		{`7`, "", []string{"not a number"}},
		{``, "", []string{"malformed JSON"}},
		{`{"pin": {"min_length": 6}`, "", []string{"malformed JSON", "unexpected end of JSON input"}},
		{"{\n  \"pin\": {\"min_length\": 6,}\n}", "", []string{"malformed JSON at line 2"}},
		{`{} {}`, "", []string{"malformed JSON at line 1, column 4", "after top-level value"}},
		{`"nope"`, "profile", []string{"not a built-in profile"}},
	}
	for _, tt := range tests {
		_, err := ParsePolicy([]byte(tt.doc))
		var pe *PolicyError
		if !errors.As(err, &pe) {
			t.Errorf("ParsePolicy(%#q) = %v; want a *PolicyError", tt.doc, err)
			continue
		}
		if pe.Field != tt.field {
			t.Errorf("ParsePolicy(%#q): field %q; want %q (%v)", tt.doc, pe.Field, tt.field, err)
		}
		msg := err.Error()
		if !strings.HasPrefix(msg, "policy: "+tt.field) {
			t.Errorf("ParsePolicy(%#q): message %q does not start with the field", tt.doc, msg)
		}
		for _, s := range tt.msg {
			if !strings.Contains(msg, s) {
				t.Errorf("ParsePolicy(%#q): message %q lacks %q", tt.doc, msg, s)
			}
		}
	}
}

func TestParsePolicySizeCap(t *testing.T) {
	pad := strings.Repeat(" ", MaxPolicyBytes-2)
	if _, err := ParsePolicy([]byte("{" + pad + "}")); err != nil {
		t.Errorf("a document of exactly MaxPolicyBytes: %v", err)
	}
	_, err := ParsePolicy([]byte("{" + pad + " }"))
	if err == nil || !strings.Contains(err.Error(), "too large") {
		t.Errorf("a document one byte over MaxPolicyBytes: %v; want too large", err)
	}
}

// FuzzParsePolicy: any input either parses to a policy that validates and
// survives a JSON round trip, or fails with a PolicyError; never a panic.
func FuzzParsePolicy(f *testing.F) {
	for _, s := range []string{`{}`, `"cuc"`, `{"extends":"exchange-um","pin":{"min_length":0}}`,
		`{"pin":{"min_length":8,"trivial":false},"password":{"min_classes":4}}`, `{"account":{"inactivity_days":5000}}`,
		`{"extends":"nist-800-63b-4","name":"x"}`, `{"pin":{"min_length":1e400}}`, `{"a":[[[[]]]]}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ParsePolicy(data)
		if err != nil {
			var pe *PolicyError
			if !errors.As(err, &pe) || !strings.HasPrefix(err.Error(), "policy: ") {
				t.Fatalf("error %v (%T) is not a PolicyError", err, err)
			}
			return
		}
		if err := p.Validate(); err != nil {
			t.Fatalf("parsed policy does not validate: %v", err)
		}
		b, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		q, err := ParsePolicy(b)
		if err != nil {
			t.Fatalf("round trip of %s: %v", b, err)
		}
		if !reflect.DeepEqual(p, q) {
			t.Fatalf("round trip differs: %+v vs %+v", p, q)
		}
	})
}

// TestSamplePolicies: the files in testdata/policies parse; those under
// invalid/ fail on the field their name describes.
func TestSamplePolicies(t *testing.T) {
	valid, _ := filepath.Glob(filepath.Join("..", "testdata", "policies", "*.json"))
	if len(valid) == 0 {
		t.Fatal("no sample policies")
	}
	for _, f := range valid {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		p, err := ParsePolicy(data)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		if p.Name == p.Extends {
			t.Errorf("%s: a sample should name itself", f)
		}
	}
	invalid := map[string]string{
		"min-length-out-of-range.json": "pin.min_length",
		"unknown-field.json":           "pin.min_lenght",
		"malformed.json":               "",
		"nist-composition.json":        "password.min_classes",
	}
	files, _ := filepath.Glob(filepath.Join("..", "testdata", "policies", "invalid", "*.json"))
	if len(files) != len(invalid) {
		t.Errorf("%d invalid samples, %d expected", len(files), len(invalid))
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		_, err = ParsePolicy(data)
		var pe *PolicyError
		if want, ok := invalid[filepath.Base(f)]; !ok || !errors.As(err, &pe) || pe.Field != want {
			t.Errorf("%s: %v; want an error on %q", f, err, want)
		}
	}
}

func BenchmarkProfile(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Profile(ProfileCUC); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParsePolicy(b *testing.B) {
	doc := []byte(`{"extends": "cuc", "name": "acme", "pin": {"min_length": 8, "dates": true, "blocklist": true},
		"password": {"min_length": 12, "blocklist": true}, "account": {"inactivity_days": 90}}`)
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for b.Loop() {
		p, err := ParsePolicy(doc)
		if err != nil || p.PIN.MinLength != 8 {
			b.Fatal(p, err)
		}
	}
}
