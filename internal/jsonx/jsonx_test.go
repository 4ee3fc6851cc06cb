package jsonx

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// toAny decodes a whole document into the shapes encoding/json uses with
// UseNumber, so the two can be compared.
func toAny(d *Decoder) (any, error) {
	switch d.Kind() {
	case Object:
		m := map[string]any{}
		err := d.Object(func(k string) error {
			v, err := toAny(d)
			m[k] = v
			return err
		})
		return m, err
	case Array:
		a := []any{}
		err := d.Array(func(int) error {
			v, err := toAny(d)
			a = append(a, v)
			return err
		})
		return a, err
	case String:
		return d.String()
	case Number:
		raw, err := d.Raw()
		return json.Number(raw), err
	case Bool:
		return d.Bool()
	case Null:
		if d.Null() {
			return nil, nil
		}
	}
	return nil, d.Skip()
}

func decodeAll(data []byte) (any, error) {
	d := NewDecoder(data)
	v, err := toAny(d)
	if err != nil {
		return nil, err
	}
	return v, d.End()
}

func stdDecode(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err == nil || err.Error() != "EOF" {
		return nil, &Error{Msg: "trailing"}
	}
	return v, nil
}

func TestAgreesWithEncodingJSON(t *testing.T) {
	for _, doc := range []string{
		`{}`, `[]`, ` {"a": [1, -2.5e3, true, false, null, "x\u00e9\ud83d\ude00\n"]} `,
		`"\ud800"`, `"\ud800\u0041"`, `"\udc00\ud800"`, "\"\xff\xfe\"", `"a\/b"`,
		`0`, `-0`, `1E+2`, `[[[]]]`, `{"a":{"b":{"c":"d"}}}`,
	} {
		want, err1 := stdDecode([]byte(doc))
		got, err2 := decodeAll([]byte(doc))
		// Every document here is JSON: two decoders failing alike would
		// agree on nothing.
		if err1 != nil || err2 != nil || !reflect.DeepEqual(want, got) {
			t.Errorf("%q: encoding/json %v (%v), jsonx %v (%v)", doc, want, err1, got, err2)
		}
	}
	// And both refuse what is not JSON.
	for _, doc := range []string{``, `{`, `[1,]`, `{"a" 1}`, `01`, "\"a\x01\"", `{} {}`, `nul`, `[1 2]`} {
		_, err1 := stdDecode([]byte(doc))
		_, err2 := decodeAll([]byte(doc))
		if err1 == nil || err2 == nil {
			t.Errorf("%q: encoding/json %v, jsonx %v; want both to refuse it", doc, err1, err2)
		}
	}
}

func TestErrors(t *testing.T) {
	type req struct {
		PIN   string
		Exts  []string
		Year  int
		Quiet bool
	}
	read := func(doc string) error {
		var r req
		d := NewDecoder([]byte(doc))
		err := d.Object(func(k string) error {
			var err error
			switch k {
			case "pin":
				r.PIN, err = d.String()
			case "exts":
				r.Exts, err = d.Strings()
			case "year":
				r.Year, err = d.Int()
			case "quiet":
				r.Quiet, err = d.Bool()
			default:
				return d.Fail("unknown field")
			}
			return err
		})
		if err != nil {
			return err
		}
		return d.End()
	}
	for _, c := range []struct{ doc, want string }{
		{`{"pin": 1234}`, "pin: want a string, got a number"},
		{`{"exts": ["1", 2]}`, "exts[1]: want a string, got a number"},
		{`{"year": 1.5}`, "year: 1.5 is not a whole number; want an integer"},
		{`{"year": 99999999999999999999}`, "year: 99999999999999999999 is too large; want an integer"},
		{`{"year": "1"}`, "year: want an integer, got a string"},
		{`{"quiet": 1}`, "quiet: want true or false, got a number"},
		{`{"x": 1}`, "x: unknown field"},
		{`{"pin": "1", "pin": "2"}`, "pin: appears more than once; give each field once"},
		{`{"pin": "1"}}`, "malformed JSON at byte 12: invalid character '}' after top-level value"},
		{`{"pin": "1"`, "malformed JSON at byte 11: unexpected end of JSON input"},
		{`{"pin" "1"}`, "malformed JSON at byte 7: invalid character '\"' after object key"},
		{`{"pin": "1" "year": 1}`, "malformed JSON at byte 12: invalid character '\"' after object key:value pair"},
		{`{"exts": ["1" "2"]}`, "malformed JSON at byte 14: invalid character '\"' after array element"},
		{`{"pin": "a\qb"}`, "malformed JSON at byte 11: an invalid escape in string literal"},
		{"{\"pin\": \"a\x01\"}", "malformed JSON at byte 10: a control character in string literal"},
		{`{"year": 01}`, "malformed JSON at byte 10: invalid character after object key:value pair"},
		{`{"year": -}`, "malformed JSON at byte 10: invalid character '}' in numeric literal"},
		{`{"quiet": tru}`, "malformed JSON at byte 13: invalid character '}' in literal true (expecting 'e')"},
		{`[1]`, "want an object, got an array"},
		{``, "malformed JSON at byte 0: unexpected end of JSON input"},
		{`{"exts": null, "pin": "1", "year": 2, "quiet": false}`, ""},
	} {
		err := read(c.doc)
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != c.want {
			t.Errorf("%s:\n got %q\nwant %q", c.doc, got, c.want)
		}
	}
}

func TestDepth(t *testing.T) {
	deep := strings.Repeat("[", MaxDepth+1) + strings.Repeat("]", MaxDepth+1)
	if Valid([]byte(deep)) {
		t.Fatal("nesting beyond MaxDepth accepted")
	}
	ok := strings.Repeat("[", MaxDepth) + strings.Repeat("]", MaxDepth)
	if !Valid([]byte(ok)) {
		t.Fatal("nesting of MaxDepth refused")
	}
}

func TestManyKeysDuplicate(t *testing.T) {
	var b strings.Builder
	b.WriteString("{")
	key := func(i int) string { return "k" + string(rune('a'+i%26)) + string(rune('a'+i/26)) }
	for i := range 40 {
		b.WriteString(`"` + key(i) + `": 1,`)
	}
	b.WriteString(`"` + key(3) + `": 2}`)
	var e *Error
	d := NewDecoder([]byte(b.String()))
	err := d.Skip()
	if err == nil || !errorAs(err, &e) || e.Path != "kda" {
		t.Fatalf("duplicate among 41 keys: %v", err)
	}
}

func errorAs(err error, e **Error) bool {
	x, ok := err.(*Error)
	*e = x
	return ok
}

func TestPosition(t *testing.T) {
	doc := []byte("{\n  \"é\": x\n}")
	if got := Position(doc, bytes.IndexByte(doc, 'x')); got != "line 2, column 8" {
		t.Fatalf("Position = %q", got)
	}
}

func TestAppendString(t *testing.T) {
	for _, s := range []string{"", "plain", "q\"b\\s", "\x00\x1f\n\t\r", "é😀", "bad\xffutf8", "\u2028\u2029", "<&>"} {
		b := AppendString(nil, s)
		var back string
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatalf("%q -> %s: not JSON: %v", s, b, err)
		}
		want := strings.ToValidUTF8(s, "\ufffd")
		if back != want {
			t.Errorf("%q -> %s -> %q", s, b, back)
		}
		if bytes.ContainsAny(b, "\u2028\u2029") {
			t.Errorf("%q -> %s: U+2028/2029 not escaped", s, b)
		}
	}
}

// FuzzDecoder checks the decoder against encoding/json: the same documents
// are well formed (apart from the stricter rules: a key once per object, a
// depth bound) and decode to the same values.
func FuzzDecoder(f *testing.F) {
	for _, s := range []string{`{"a":[1,2,{"b":null}],"c":"\u00e9"}`, `"\ud83d\ude00"`, `-1.5e-3`, `[true,false]`, `{"a":1,"a":2}`, "\"\xff\""} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		want, err1 := stdDecode(data)
		got, err2 := decodeAll(data)
		if err1 != nil && err2 == nil {
			t.Fatalf("jsonx accepts what encoding/json refuses (%v): %q", err1, data)
		}
		if err1 == nil && err2 != nil {
			e, ok := err2.(*Error)
			if !ok || !(strings.Contains(e.Msg, "more than once") || strings.Contains(e.Msg, "max depth")) {
				t.Fatalf("jsonx refuses (%v) what encoding/json accepts: %q", err2, data)
			}
			return
		}
		if err1 == nil && !reflect.DeepEqual(want, got) {
			t.Fatalf("%q: encoding/json %#v, jsonx %#v", data, want, got)
		}
		if Valid(data) != (err2 == nil) {
			t.Fatalf("Valid disagrees with the decoder on %q", data)
		}
		// What AppendString writes reads back.
		if s, ok := got.(string); ok {
			if v, err := decodeAll(AppendString(nil, s)); err != nil || v != s {
				t.Fatalf("round trip of %q: %q, %v", s, v, err)
			}
		}
	})
}

// Regression: [] read as nil, which made "outside_line_codes": [] look
// absent (found by dialplan's fuzz test).
func TestStringsEmptyIsNotNil(t *testing.T) {
	for doc, wantNil := range map[string]bool{`[]`: false, `null`: true, ` [ ] `: false} {
		got, err := NewDecoder([]byte(doc)).Strings()
		if err != nil || (got == nil) != wantNil || len(got) != 0 {
			t.Errorf("Strings(%s) = %#v, %v", doc, got, err)
		}
	}
}

// Regression: a syntax error named the offending byte, which could be a
// character of a PIN or password, quoted or not.
func TestSyntaxErrorsNameNoSecretByte(t *testing.T) {
	for _, doc := range []string{`{"pin": "s3cr\qt"}`, "{\"pin\": \"s3cr\x01t\"}", `{"pin": "s3cr\u12Zt"}`,
		`{"pin": 12q4}`, `{"pin": tqrue}`, `{"pin": "ok"} q`, `{"pin": "1" q}`, `[1 q]`} {
		_, err := decodeAll([]byte(doc))
		if err == nil {
			t.Fatalf("%s: accepted", doc)
		}
		msg := err.Error()[strings.Index(err.Error(), ":")+1:] // after "malformed JSON at byte N"
		for _, c := range []string{"q", "x01", "Z"} {
			if strings.Contains(msg, c) {
				t.Errorf("%s: error %q names a byte of the input", doc, err)
			}
		}
	}
}
