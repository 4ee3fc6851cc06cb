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
		{`{"pin": {"sequence_wraps": true}, "password": {"sequence_wraps": true}}`, func(p *Policy) bool {
			return p.PIN.SequenceWraps && p.Password.SequenceWraps && p.PIN.Trivial
		}, "sequences wrap from 9 to 0 when asked"},
		{`{"extends": "exchange-um", "pin": {"sequence_wraps": true}}`, func(p *Policy) bool {
			return p.PIN.SequenceWraps && p.PIN.ExchangeCommonPatterns
		}, "Exchange's sequential rule may wrap too"},
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
		{`{"pin": {"sequence_wraps": 1}}`, "pin.sequence_wraps", []string{"1 is a number; want true or false"}},
		{`{"extends": "exchange-um", "pin": {"exchange_common_patterns": false, "sequence_wraps": true}}`, "pin.sequence_wraps",
			[]string{"true is not allowed; want false", "set pin.trivial or pin.exchange_common_patterns"}},
		{`{"extends": "nist-800-63b-4", "password": {"sequence_wraps": true}}`, "password.sequence_wraps",
			[]string{"true is not allowed; want false", "set password.trivial"}},
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
		{`{"pin": {"admin_must_unlock": true, "lockout_minutes": 30}}`, "pin.lockout_minutes", []string{"30 is out of range 0 (admin_must_unlock is true"}},
		{`{"pin": {"admin_must_unlock": false, "lockout_minutes": 0}}`, "pin.lockout_minutes", []string{"0 is out of range 1..1440 (0 means an administrator must unlock"}},
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

// TestParsePolicyLockout: seed 003's "Enter 0 or check the Administrator
// Must Unlock check box": either field alone means an administrator must
// unlock, in every profile and both sections, and the field inherited
// from the profile follows. Fields given together must agree; a duration
// alone does not clear an inherited admin_must_unlock.
func TestParsePolicyLockout(t *testing.T) {
	type want struct {
		admin   bool
		minutes int
		field   string   // when set, an error on this field
		msg     []string // substrings of the error
	}
	adminUnlock := want{admin: true, minutes: 0}
	conflict := func(section string) want {
		return want{field: section + ".lockout_minutes", msg: []string{"30 is out of range 0 (admin_must_unlock is true; set it to false for a timed lockout)"}}
	}
	for _, profile := range ProfileNames() {
		for _, section := range []string{"pin", "password"} {
			try := func(fields string, w want) {
				t.Helper()
				doc := `{"extends": "` + profile + `", "` + section + `": {` + fields + `}}`
				p, err := ParsePolicy([]byte(doc))
				if w.field != "" {
					var pe *PolicyError
					if !errors.As(err, &pe) || pe.Field != w.field {
						t.Errorf("%s: %v; want an error on %s", doc, err, w.field)
						return
					}
					for _, s := range w.msg {
						if !strings.Contains(err.Error(), s) {
							t.Errorf("%s: %q lacks %q", doc, err, s)
						}
					}
					return
				}
				if err != nil {
					t.Errorf("%s: %v", doc, err)
					return
				}
				r, _ := p.Rule(section)
				if r.AdminMustUnlock != w.admin || r.LockoutMinutes != w.minutes {
					t.Errorf("%s: admin_must_unlock %v, lockout_minutes %d; want %v, %d",
						doc, r.AdminMustUnlock, r.LockoutMinutes, w.admin, w.minutes)
				}
			}
			// The same in every profile.
			try(`"lockout_minutes": 0`, adminUnlock)
			try(`"admin_must_unlock": true`, adminUnlock)
			try(`"admin_must_unlock": true, "lockout_minutes": 0`, adminUnlock)
			try(`"lockout_minutes": 0, "admin_must_unlock": true`, adminUnlock)
			try(`"admin_must_unlock": true, "lockout_minutes": 30`, conflict(section))
			try(`"lockout_minutes": 30, "admin_must_unlock": true`, conflict(section))
		}
	}

	// What depends on the profile: its inherited pair, its failed_limit
	// (0 in exchange-um's password half: nothing ever locks) and
	// Exchange UM's PIN lockout, which only an administrator ends.
	tests := []struct {
		section, doc string
		want
	}{
		// A timed lockout needs a duration of 1..1440 on Cisco's page.
		{"pin", `{"extends": "cucm", "pin": {"admin_must_unlock": false, "lockout_minutes": 0}}`,
			want{field: "pin.lockout_minutes", msg: []string{"0 is out of range 1..1440 (0 means an administrator must unlock, and admin_must_unlock is false)"}}},
		{"password", `{"extends": "cuc", "password": {"lockout_minutes": 0, "admin_must_unlock": false}}`,
			want{field: "password.lockout_minutes", msg: []string{"0 is out of range 1..1440"}}},
		{"pin", `{"extends": "cuc-esm", "pin": {"lockout_minutes": 45}}`, want{minutes: 45}},
		{"pin", `{"extends": "cucm", "pin": {"admin_must_unlock": false}}`, want{minutes: 30}},
		{"pin", `{"extends": "cucm", "pin": {"lockout_minutes": 1441}}`,
			want{field: "pin.lockout_minutes", msg: []string{"1441 is out of range 1..1440 (admin_must_unlock is false)"}}},
		// With no failed-logon limit nothing locks: 0 is no contradiction.
		{"pin", `{"extends": "cucm", "pin": {"failed_limit": 0, "admin_must_unlock": false, "lockout_minutes": 0}}`, want{}},
		// NIST inherits admin unlock: a duration alone does not relax it.
		{"pin", `{"extends": "nist-800-63b-4", "pin": {"lockout_minutes": 30}}`, conflict("pin")},
		{"pin", `{"extends": "nist-800-63b-4", "pin": {"admin_must_unlock": false}}`,
			want{field: "pin.lockout_minutes", msg: []string{"0 is out of range 1..99999 (0 means an administrator must unlock"}}},
		{"password", `{"extends": "nist-800-63b-4", "password": {"admin_must_unlock": false, "lockout_minutes": 30}}`, want{minutes: 30}},
		// Exchange UM keeps a locked mailbox locked until its PIN is reset.
		{"pin", `{"extends": "exchange-um", "pin": {"lockout_minutes": 30}}`, conflict("pin")},
		{"pin", `{"extends": "exchange-um", "pin": {"admin_must_unlock": false, "lockout_minutes": 0}}`,
			want{field: "pin.admin_must_unlock", msg: []string{"false is not allowed; want true"}}},
		{"password", `{"extends": "exchange-um", "password": {"admin_must_unlock": false, "lockout_minutes": 0}}`, want{}},
		{"password", `{"extends": "exchange-um", "password": {"failed_limit": 5, "lockout_minutes": 30}}`, want{minutes: 30}},
		{"password", `{"extends": "exchange-um", "password": {"failed_limit": 5}}`,
			want{field: "password.lockout_minutes", msg: []string{"0 is out of range 1..99999 (0 means an administrator must unlock"}}},
		// Each section settles its own pair.
		{"pin", `{"pin": {"lockout_minutes": 0}, "password": {"lockout_minutes": 20}}`, adminUnlock},
		{"password", `{"pin": {"lockout_minutes": 0}, "password": {"lockout_minutes": 20}}`, want{minutes: 20}},
		{"password", `{"pin": {"admin_must_unlock": true}}`, want{minutes: 30}},
	}
	for _, tt := range tests {
		p, err := ParsePolicy([]byte(tt.doc))
		if tt.field != "" {
			var pe *PolicyError
			if !errors.As(err, &pe) || pe.Field != tt.field {
				t.Errorf("%s: %v; want an error on %s", tt.doc, err, tt.field)
				continue
			}
			for _, s := range tt.msg {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("%s: %q lacks %q", tt.doc, err, s)
				}
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tt.doc, err)
			continue
		}
		r, _ := p.Rule(tt.section)
		if r.AdminMustUnlock != tt.admin || r.LockoutMinutes != tt.minutes {
			t.Errorf("%s: %s admin_must_unlock %v, lockout_minutes %d; want %v, %d",
				tt.doc, tt.section, r.AdminMustUnlock, r.LockoutMinutes, tt.admin, tt.minutes)
		}
	}
}
