package core

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"
)

// MaxPolicyBytes bounds a policy document. The largest meaningful one
// (every field set) is under 2 KiB; the cap refuses junk before parsing.
const MaxPolicyBytes = 64 << 10

// PolicyError reports an invalid policy document or value: the path of the
// offending field (Field, e.g. "pin.min_length"), the value found (Value,
// as written or rendered), and what is allowed (Allowed, e.g. "4..24").
// Msg, when set, is the whole explanation after the field; when empty the
// error reads "VALUE is out of range ALLOWED". A PolicyError never carries
// a secret: policies hold none.
type PolicyError struct {
	Field   string
	Value   string
	Allowed string
	Msg     string
}

func (e *PolicyError) Error() string {
	s := "policy: "
	if e.Field != "" {
		s += e.Field + ": "
	}
	if e.Msg != "" {
		return s + e.Msg
	}
	return s + e.Value + " is out of range " + e.Allowed
}

// ParsePolicy decodes a policy document and validates the result:
//
//	{"extends": "cuc", "name": "...", "pin": {...}, "password": {...}, "account": {...}}
//
// The policy starts as the profile named by extends (DefaultProfile when
// absent) and every field given replaces the profile's value. Decoding is
// strict: an unknown or repeated field, a wrong type, a value out of range
// or trailing data is a *PolicyError naming the field's full path. A
// document that is a JSON string ("cuc") names a profile. The format is
// specified in docs/policy.md.
func ParsePolicy(data []byte) (*Policy, error) {
	if len(data) > MaxPolicyBytes {
		return nil, &PolicyError{
			Value: strconv.Itoa(len(data)) + " bytes", Allowed: "at most " + strconv.Itoa(MaxPolicyBytes),
			Msg: "document of " + strconv.Itoa(len(data)) + " bytes is too large; at most " + strconv.Itoa(MaxPolicyBytes) + " bytes",
		}
	}
	if t := bytes.TrimSpace(data); len(t) > 0 && t[0] == '"' {
		var name string
		if err := json.Unmarshal(t, &name); err != nil {
			return nil, policySyntaxError(data, err)
		}
		return Profile(name)
	}
	// A whole-document syntax check first: its error offsets are absolute,
	// so a malformed file is reported by line and column.
	var syntax json.RawMessage
	if err := json.Unmarshal(data, &syntax); err != nil {
		return nil, policySyntaxError(data, err)
	}
	top, err := readPolicyMembers(data, "")
	if err != nil {
		return nil, err
	}
	extends := DefaultProfile
	name, named := "", false
	for _, m := range top {
		switch m.key {
		case "extends":
			if extends, err = decodePolicyString(m); err != nil {
				return nil, err
			}
		case "name":
			if name, err = decodePolicyString(m); err != nil {
				return nil, err
			}
			named = true
		case "pin", "password", "account":
		default:
			return nil, policyUnknownField(m.path, policyTopFields)
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
	for _, m := range top {
		var section reflect.Value
		switch m.key {
		case "pin":
			section = reflect.ValueOf(&p.PIN).Elem()
		case "password":
			section = reflect.ValueOf(&p.Password).Elem()
		case "account":
			section = reflect.ValueOf(&p.Account).Elem()
		default:
			continue
		}
		if err := decodePolicySection(m, section); err != nil {
			return nil, err
		}
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return p, nil
}

var policyTopFields = []string{"extends", "name", "pin", "password", "account"}

// policyMember is one "key": value pair of a JSON object, value undecoded.
type policyMember struct {
	key, path string
	raw       json.RawMessage
}

// readPolicyMembers reads one JSON object strictly: the whole of data must be
// that object, and no key may repeat. path prefixes the members' paths.
func readPolicyMembers(data []byte, path string) ([]policyMember, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err != nil {
		return nil, policySyntaxError(data, err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		if path == "" {
			return nil, &PolicyError{Msg: "a policy document is a JSON object or a profile name string, not " + policyJSONKind(data)}
		}
		return nil, policyWrongType(path, data, "an object")
	}
	var out []policyMember
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, policySyntaxError(data, err)
		}
		key := tok.(string) // object keys are always strings
		m := policyMember{key: key, path: key}
		if path != "" {
			m.path = path + "." + key
		}
		for _, prev := range out {
			if prev.key == key {
				return nil, &PolicyError{Field: m.path, Msg: "appears more than once; give each field once"}
			}
		}
		if err := dec.Decode(&m.raw); err != nil {
			return nil, policySyntaxError(data, err)
		}
		out = append(out, m)
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return nil, policySyntaxError(data, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, &PolicyError{Field: path, Msg: "unexpected data after the object at " + docPosition(data, dec.InputOffset())}
	}
	return out, nil
}

// decodePolicySection sets the fields of section (a PINPolicy, PasswordPolicy or
// AccountPolicy) from the members of m's object.
func decodePolicySection(m policyMember, section reflect.Value) error {
	fields := policyFields[section.Type()]
	members, err := readPolicyMembers(m.raw, m.path)
	if err != nil {
		return err
	}
	for _, f := range members {
		pf, ok := fields.byName[f.key]
		if !ok {
			return policyUnknownField(f.path, fields.names)
		}
		v := section.FieldByIndex(pf.index)
		raw := strings.TrimSpace(string(f.raw))
		switch v.Kind() {
		case reflect.Int:
			n, err := strconv.Atoi(raw)
			if err != nil {
				if policyJSONKind(f.raw) == "a number" {
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
				return policyWrongType(f.path, f.raw, "an integer")
			}
			v.SetInt(int64(n))
		case reflect.Bool:
			if raw != "true" && raw != "false" {
				return policyWrongType(f.path, f.raw, "true or false")
			}
			v.SetBool(raw == "true")
		case reflect.String:
			s, err := decodePolicyString(f)
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

func decodePolicyString(m policyMember) (string, error) {
	var s string
	if len(m.raw) == 0 || m.raw[0] != '"' || json.Unmarshal(m.raw, &s) != nil {
		return "", policyWrongType(m.path, m.raw, "a string")
	}
	return s, nil
}

// sectionFields maps the JSON names of one section's fields (embedded
// CredentialRule flattened, as encoding/json does) to their indices.
type sectionFields struct {
	names  []string // in declaration order
	byName map[string]policyField
}

type policyField struct {
	index []int
	kind  reflect.Kind
}

var policyFields = map[reflect.Type]sectionFields{
	reflect.TypeFor[PINPolicy]():      policyFieldsOf(reflect.TypeFor[PINPolicy]()),
	reflect.TypeFor[PasswordPolicy](): policyFieldsOf(reflect.TypeFor[PasswordPolicy]()),
	reflect.TypeFor[AccountPolicy]():  policyFieldsOf(reflect.TypeFor[AccountPolicy]()),
}

func policyFieldsOf(t reflect.Type) sectionFields {
	sf := sectionFields{byName: map[string]policyField{}}
	var walk func(t reflect.Type, prefix []int)
	walk = func(t reflect.Type, prefix []int) {
		for i := range t.NumField() {
			f := t.Field(i)
			index := append(append([]int(nil), prefix...), i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if f.Anonymous && name == "" {
				walk(f.Type, index)
				continue
			}
			if name == "" || name == "-" || !f.IsExported() {
				continue
			}
			sf.names = append(sf.names, name)
			sf.byName[name] = policyField{index: index, kind: f.Type.Kind()}
		}
	}
	walk(t, nil)
	return sf
}

func policyUnknownField(path string, known []string) error {
	name := path[strings.LastIndexByte(path, '.')+1:]
	msg := "unknown field"
	best, bestD := "", 3 // suggest only near misses (edit distance ≤ 2)
	for _, k := range known {
		if d := NameDistance(name, k); d < bestD {
			best, bestD = k, d
		}
	}
	if best != "" {
		msg += " (did you mean " + best + "?)"
	}
	return &PolicyError{Field: path, Allowed: strings.Join(known, ", "),
		Msg: msg + "; known fields here: " + strings.Join(known, ", ")}
}

func policyWrongType(path string, raw []byte, want string) error {
	v := strings.TrimSpace(string(raw))
	if len(v) > 40 {
		v = v[:40] + "…"
	}
	return &PolicyError{Field: path, Value: v, Allowed: want,
		Msg: v + " is " + policyJSONKind(raw) + "; want " + want}
}

// policyJSONKind names the JSON type of a raw value, with an article.
func policyJSONKind(raw []byte) string {
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

func policySyntaxError(data []byte, err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		// Offset counts the offending byte; point at it, not past it.
		return &PolicyError{Msg: "malformed JSON at " + docPosition(data, se.Offset-1) + ": " + strings.TrimPrefix(se.Error(), "json: ")}
	}
	return &PolicyError{Msg: "malformed JSON: " + strings.TrimPrefix(err.Error(), "json: ")}
}

// docPosition renders a byte offset as "line L, column C" (1-based, columns
// in characters).
func docPosition(data []byte, off int64) string {
	off = min(max(off, 0), int64(len(data)))
	before := data[:off]
	line := 1 + bytes.Count(before, []byte{'\n'})
	col := 1 + utf8.RuneCount(before[bytes.LastIndexByte(before, '\n')+1:])
	return "line " + strconv.Itoa(line) + ", column " + strconv.Itoa(col)
}
