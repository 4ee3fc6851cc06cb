package core

// The policy loader as it was before it moved to jsonx (encoding/json and
// a reflective field walk), kept as the oracle of FuzzParsePolicyVsRef.

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/tollgate/tollgate/internal/jsonx"
)

func refParsePolicy(data []byte) (*Policy, error) {
	if len(data) > MaxPolicyBytes {
		return nil, &PolicyError{
			Value: strconv.Itoa(len(data)) + " bytes", Allowed: "at most " + strconv.Itoa(MaxPolicyBytes),
			Msg: "document of " + strconv.Itoa(len(data)) + " bytes is too large; at most " + strconv.Itoa(MaxPolicyBytes) + " bytes",
		}
	}
	if t := bytes.TrimSpace(data); len(t) > 0 && t[0] == '"' {
		var name string
		if err := json.Unmarshal(t, &name); err != nil {
			return nil, refSyntaxError(data, err)
		}
		return Profile(name)
	}
	// A whole-document syntax check first: its error offsets are absolute,
	// so a malformed file is reported by line and column.
	var syntax json.RawMessage
	if err := json.Unmarshal(data, &syntax); err != nil {
		return nil, refSyntaxError(data, err)
	}
	top, err := refReadMembers(data, "")
	if err != nil {
		return nil, err
	}
	extends := DefaultProfile
	name, named := "", false
	for _, m := range top {
		switch m.key {
		case "extends":
			if extends, err = refDecodeString(m); err != nil {
				return nil, err
			}
		case "name":
			if name, err = refDecodeString(m); err != nil {
				return nil, err
			}
			named = true
		case "pin", "password", "account":
		default:
			return nil, policyUnknownField(string(jsonx.AppendKey(nil, m.key, false)), m.key, policyTopFields)
		}
	}
	p, err := Profile(extends)
	if err != nil {
		pe := err.(*PolicyError)
		pe.Field = "extends"
		return nil, pe
	}
	if named {
		p.Name = name
	}
	var pinLock, pwLock lockoutGiven
	for _, m := range top {
		var section reflect.Value
		var lock *lockoutGiven
		switch m.key {
		case "pin":
			section, lock = reflect.ValueOf(&p.PIN).Elem(), &pinLock
		case "password":
			section, lock = reflect.ValueOf(&p.Password).Elem(), &pwLock
		case "account":
			section = reflect.ValueOf(&p.Account).Elem()
		default:
			continue
		}
		if err := refDecodeSection(m, section, lock); err != nil {
			return nil, err
		}
	}
	// The lockout pair is settled as ParsePolicy settles it (the old
	// loader predates that rule; this oracle checks the decoding).
	pinLock.normalise(&p.PIN.CredentialRule)
	pwLock.normalise(&p.Password.CredentialRule)
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return p, nil
}

// refMember is one "key": value pair of a JSON object, value undecoded.
type refMember struct {
	key, path string
	raw       json.RawMessage
}

// refReadMembers reads one JSON object strictly: the whole of data must be
// that object, and no key may repeat. path prefixes the members' paths.
func refReadMembers(data []byte, path string) ([]refMember, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err != nil {
		return nil, refSyntaxError(data, err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		if path == "" {
			return nil, &PolicyError{Msg: "a policy document is a JSON object or a profile name string, not " + refJSONKind(data)}
		}
		return nil, refWrongType(path, data, "an object")
	}
	var out []refMember
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, refSyntaxError(data, err)
		}
		key := tok.(string) // object keys are always strings
		m := refMember{key: key, path: key}
		if path != "" {
			m.path = path + "." + key
		}
		for _, prev := range out {
			if prev.key == key {
				return nil, &PolicyError{Field: m.path, Msg: "appears more than once; give each field once"}
			}
		}
		if err := dec.Decode(&m.raw); err != nil {
			return nil, refSyntaxError(data, err)
		}
		out = append(out, m)
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return nil, refSyntaxError(data, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, &PolicyError{Field: path, Msg: "unexpected data after the object at " + refDocPosition(data, dec.InputOffset())}
	}
	return out, nil
}

// refDecodeSection sets the fields of section (a PINPolicy, PasswordPolicy or
// AccountPolicy) from the members of m's object, and records in lock (nil
// for the account section) which lockout fields it gives.
func refDecodeSection(m refMember, section reflect.Value, lock *lockoutGiven) error {
	fields := policyFields[section.Type()]
	members, err := refReadMembers(m.raw, m.path)
	if err != nil {
		return err
	}
	for _, f := range members {
		pf, ok := fields.byName[f.key]
		if !ok {
			return policyUnknownField(m.path+"."+string(jsonx.AppendKey(nil, f.key, false)), f.key, fields.names)
		}
		if lock != nil {
			lock.minutes = lock.minutes || f.key == "lockout_minutes"
			lock.admin = lock.admin || f.key == "admin_must_unlock"
		}
		v := section.FieldByIndex(pf.index)
		raw := strings.TrimSpace(string(f.raw))
		switch v.Kind() {
		case reflect.Int:
			n, err := strconv.Atoi(raw)
			if err != nil {
				if refJSONKind(f.raw) == "a number" {
					what := " is too large"
					if strings.ContainsAny(raw, ".eE") {
						what = " is not a whole number"
					}
					if len(raw) > 40 {
						raw = raw[:40] + "…"
					}
					return &PolicyError{Field: f.path, Value: raw, Allowed: "an integer",
						Msg: raw + what + "; want an integer"}
				}
				return refWrongType(f.path, f.raw, "an integer")
			}
			v.SetInt(int64(n))
		case reflect.Bool:
			if raw != "true" && raw != "false" {
				return refWrongType(f.path, f.raw, "true or false")
			}
			v.SetBool(raw == "true")
		case reflect.String:
			s, err := refDecodeString(f)
			if err != nil {
				return err
			}
			v.SetString(s)
		default:
			panic("core: policy field " + f.path + " has unsupported kind " + v.Kind().String())
		}
	}
	return nil
}

func refDecodeString(m refMember) (string, error) {
	var s string
	if len(m.raw) == 0 || m.raw[0] != '"' || json.Unmarshal(m.raw, &s) != nil {
		return "", refWrongType(m.path, m.raw, "a string")
	}
	return s, nil
}

func refWrongType(path string, raw []byte, want string) error {
	v := strings.TrimSpace(string(raw))
	if len(v) > 40 {
		v = v[:40] + "…"
	}
	return &PolicyError{Field: path, Value: v, Allowed: want,
		Msg: v + " is " + refJSONKind(raw) + "; want " + want}
}

// refJSONKind names the JSON type of a raw value, with an article.
func refJSONKind(raw []byte) string {
	t := bytes.TrimSpace(raw)
	if len(t) == 0 {
		return "empty"
	}
	switch c := t[0]; {
	case c == '{':
		return "an object"
	case c == '[':
		return "an array"
	case c == '"':
		return "a string"
	case c == 't' || c == 'f':
		return "a boolean"
	case c == 'n':
		return "null"
	case c == '-' || c >= '0' && c <= '9':
		return "a number"
	}
	return "not JSON"
}

func refSyntaxError(data []byte, err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		// Offset counts the offending byte; point at it, not past it.
		return &PolicyError{Msg: "malformed JSON at " + refDocPosition(data, se.Offset-1) + ": " + strings.TrimPrefix(se.Error(), "json: ")}
	}
	return &PolicyError{Msg: "malformed JSON: " + strings.TrimPrefix(err.Error(), "json: ")}
}

// refDocPosition renders a byte offset as "line L, column C" (1-based, columns
// in characters).
func refDocPosition(data []byte, off int64) string {
	off = min(max(off, 0), int64(len(data)))
	before := data[:off]
	line := 1 + bytes.Count(before, []byte{'\n'})
	col := 1 + utf8.RuneCount(before[bytes.LastIndexByte(before, '\n')+1:])
	return "line " + strconv.Itoa(line) + ", column " + strconv.Itoa(col)
}

// FuzzParsePolicyVsRef: ParsePolicy accepts exactly the documents the old
// loader accepted, with the same result. (When both refuse, the error may
// differ: a document with several faults is reported at the first one
// each finds, and jsonx refuses nesting deeper than 512.)
func FuzzParsePolicyVsRef(f *testing.F) {
	for _, s := range []string{`{}`, `"cuc"`, ` "cucm" `, `{"extends":"exchange-um","pin":{"min_length":0}}`,
		`{"pin":{"min_length":8,"trivial":false},"password":{"min_classes":4}}`, `{"account":{"inactivity_days":5000}}`,
		`{"extends":"nist-800-63b-4","name":"x"}`, `{"pin":{"min_length":1e400}}`, `{"a":[[[[]]]]}`,
		`{"name":"\u00e9\ud83d\ude00","pin":{"history":-0}}`, `{"pin":{"min_length":8.0}}`, `{"pin":{}, "pin":{}}`, "\v\"cuc\"\u0085"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ParsePolicy(data)
		q, refErr := refParsePolicy(data)
		// The old loader trimmed Unicode space (\\v, U+0085) around a
		// profile name; JSON allows only four space bytes, and what is not
		// JSON must be refused.
		if refErr == nil && !json.Valid(data) {
			if err == nil {
				t.Fatalf("ParsePolicy(%q) accepted a document that is not JSON", data)
			}
			return
		}
		if (err == nil) != (refErr == nil) {
			t.Fatalf("ParsePolicy(%q) = %v; the old loader gave %v", data, err, refErr)
		}
		if err == nil && !reflect.DeepEqual(p, q) {
			t.Fatalf("ParsePolicy(%q) = %+v; the old loader gave %+v", data, p, q)
		}
	})
}

// BenchmarkParsePolicyEncodingJSON is BenchmarkParsePolicy with the old
// loader, for the ratio in one run.
func BenchmarkParsePolicyEncodingJSON(b *testing.B) {
	doc := []byte(`{"extends": "cuc", "name": "acme", "pin": {"min_length": 8, "dates": true, "blocklist": true},
		"password": {"min_length": 12, "blocklist": true}, "account": {"inactivity_days": 90}}`)
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for b.Loop() {
		p, err := refParsePolicy(doc)
		if err != nil || p.PIN.MinLength != 8 {
			b.Fatal(p, err)
		}
	}
}
