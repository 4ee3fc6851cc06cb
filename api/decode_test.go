package api

import (
	"bytes"
	"encoding/json"
	"io"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
)

// requestTypes are the request structs of the ops that take one; the ops
// taking a bare document (policy.load, tables.load) are listed with nil.
var requestTypes = map[string]func() Message{
	"pin":         func() Message { return new(PINRequest) },
	"password":    func() Message { return new(PasswordRequest) },
	"dial":        func() Message { return new(DialRequest) },
	"lint":        func() Message { return new(LintRequest) },
	"hash.verify": func() Message { return new(HashVerifyRequest) },
	"hash.make":   func() Message { return new(HashMakeRequest) },
	"signin":      func() Message { return new(SignInRequest) },
	"unload":      func() Message { return new(UnloadRequest) },
	"policy.load": nil,
	"tables.load": nil,
}

// TestEveryOpListed keeps requestTypes complete, so a new op's request is
// held to its struct below.
func TestEveryOpListed(t *testing.T) {
	for _, op := range Ops() {
		if _, ok := requestTypes[op]; !ok {
			t.Errorf("op %q is not in requestTypes: add its request type so TestDecoderMatchesStruct covers it", op)
		}
	}
}

// fill sets every field of v, recursively, to a value that is not zero
// and not the same as any other field's. A kind it does not know fails
// the test, so a new kind of field is taught here too.
func fill(t testing.TB, v reflect.Value, path string) {
	t.Helper()
	// References: an inline document with nesting, compact as
	// encoding/json writes a Marshaler's output.
	doc := []byte(`{"extends":"cuc","pin":{"min_length":7,"bans":["` + path + `"]}}`)
	switch v.Type() {
	case reflect.TypeFor[PolicyRef]():
		v.Set(reflect.ValueOf(PolicyJSON(doc)))
		return
	case reflect.TypeFor[TablesRef]():
		v.Set(reflect.ValueOf(TablesJSON(doc)))
		return
	case reflect.TypeFor[Handle]():
		v.SetUint(uint64(len(path)) + 7)
		return
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(path + ` "é"\` + "\n\u2028")
	case reflect.Int:
		v.SetInt(int64(len(path)) + 1000)
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fill(t, v.Elem(), path)
	case reflect.Slice:
		s := reflect.MakeSlice(v.Type(), 2, 2)
		fill(t, s.Index(0), path+"[0]")
		fill(t, s.Index(1), path+"[1]")
		v.Set(s)
	case reflect.Map:
		if v.Type().Key().Kind() != reflect.String {
			t.Fatalf("%s: fill knows maps with string keys only", path)
		}
		m := reflect.MakeMap(v.Type())
		for _, k := range []string{"telephony", "web"} {
			e := reflect.New(v.Type().Elem()).Elem()
			fill(t, e, path+"."+k)
			m.SetMapIndex(reflect.ValueOf(k), e)
		}
		v.Set(m)
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			f := v.Type().Field(i)
			fill(t, v.Field(i), path+"."+f.Name)
		}
	default:
		t.Fatalf("%s: fill does not know kind %s", path, v.Kind())
	}
}

// TestDecoderMatchesStruct: a request with every field set, written by
// encoding/json from the struct's tags, decodes to the same struct. A
// field added to a struct and not to its decoder fails here.
func TestDecoderMatchesStruct(t *testing.T) {
	for op, mk := range requestTypes {
		if mk == nil {
			continue
		}
		want := mk()
		fill(t, reflect.ValueOf(want).Elem(), op)
		data, err := json.Marshal(want)
		if err != nil {
			t.Fatalf("%s: %v", op, err)
		}
		got := mk()
		if err := decodeRequest(data, got); err != nil {
			t.Errorf("%s: decode %s: %v", op, data, err)
			continue
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: decoded\n%+v\nwant\n%+v\nfrom %s", op, got, want, data)
		}
		// Indented, the same once written again (encoding/json compacts
		// the raw references).
		ind, _ := json.MarshalIndent(want, "", "\t")
		got = mk()
		if err := decodeRequest(ind, got); err != nil {
			t.Errorf("%s: indented request: %v", op, err)
		} else if again, _ := json.Marshal(got); !bytes.Equal(again, data) {
			t.Errorf("%s: indented request decoded to %s, want %s", op, again, data)
		}
	}
}

// TestKnownFieldsMatchTags: the field lists named in unknown-field
// messages are the structs' json names, in order.
func TestKnownFieldsMatchTags(t *testing.T) {
	for _, c := range []struct {
		typ   reflect.Type
		known []string
	}{
		{reflect.TypeFor[PINRequest](), pinRequestFields},
		{reflect.TypeFor[PINContext](), pinContextFields},
		{reflect.TypeFor[PasswordRequest](), passwordRequestFields},
		{reflect.TypeFor[PasswordContext](), passwordContextFields},
		{reflect.TypeFor[DialRequest](), dialRequestFields},
		{reflect.TypeFor[LintRequest](), lintRequestFields},
		{reflect.TypeFor[HashVerifyRequest](), hashVerifyFields},
		{reflect.TypeFor[HashMakeRequest](), hashMakeFields},
		{reflect.TypeFor[SignInRequest](), signInRequestFields},
		{reflect.TypeFor[SignInState](), signInStateFields},
		{reflect.TypeFor[SignInEvent](), signInEventFields},
	} {
		var tags []string
		for i := 0; i < c.typ.NumField(); i++ {
			name, _, _ := strings.Cut(c.typ.Field(i).Tag.Get("json"), ",")
			tags = append(tags, name)
		}
		if !slices.Equal(tags, c.known) {
			t.Errorf("%s: known fields %q, json tags %q", c.typ, c.known, tags)
		}
	}
}

// Regression: json.Decoder.More is false before a stray '}' or ']', so a
// request with one used to be accepted.
func TestDecodeTrailing(t *testing.T) {
	for _, c := range []struct {
		in string
		ok bool
	}{
		{`{"pin":"802163"}`, true},
		{"{\"pin\":\"802163\"}\n \t", true},
		{`{"pin":"802163"}}`, false},
		{`{"pin":"802163"}]`, false},
		{`{"pin":"802163"} {}`, false},
		{`{"pin":"802163"} 1`, false},
		{`{"pin":"802163"`, false},
		{`{"pn":"802163"}`, false},
	} {
		var r PINRequest
		err := decodeRequest([]byte(c.in), &r)
		if (err == nil) != c.ok {
			t.Errorf("decodeRequest(%#q) = %v, want ok=%v", c.in, err, c.ok)
		}
		if err != nil && strings.Contains(err.Error(), "802163") {
			t.Errorf("decodeRequest(%#q): error %q echoes the secret", c.in, err)
		}
	}
}

// TestDecodeErrors: each faulty request is a bad_request naming the full
// path of the field, and says what is wrong without echoing a value.
func TestDecodeErrors(t *testing.T) {
	for _, c := range []struct {
		op, in string
		field  string
		msg    []string
	}{
		{"pin", `{"pin":"802163","pin":"802163"}`, "pin", []string{"more than once"}},
		{"pin", `{"pin":"802163","context":{"foo":1}}`, "context.<3-byte key>", []string{"unknown field; known fields here", "known fields here: extensions, first_name"}},
		{"pin", `{"pin":"802163","context":{"extensions":["2001",2002]}}`, "context.extensions[1]", []string{"want a string, got a number"}},
		{"pin", `{"pin":"802163","context":{"extentions":["2001"]}}`, "context.extentions", []string{"did you mean extensions?"}},
		{"pin", `{"pn":"802163"}`, "pn", []string{"did you mean pin?", "policy, pin, context"}},
		{"pin", `{"PIN":"802163"}`, "<3-byte key>", []string{"unknown field (did you mean pin?)"}},
		{"pin", `{"pin":802163}`, "pin", []string{"want a string, got a number"}},
		{"pin", `{"pin":"802163","context":{"year":"2026"}}`, "context.year", []string{"want an integer, got a string"}},
		{"pin", `{"pin":"802163","context":{"year":2026.5}}`, "context.year", []string{"not a whole number"}},
		{"pin", `{"pin":"802163","context":[]}`, "context", []string{"want an object, got an array"}},
		{"pin", `{"pin":"802163","context":{"extensions":"2001"}}`, "context.extensions", []string{"want an array"}},
		{"pin", `["802163"]`, "", []string{"want an object"}},
		{"pin", `null`, "", []string{"want an object"}},
		{"pin", ``, "", []string{"malformed JSON", "end of JSON input"}},
		{"pin", `{"pin":"802163",}`, "", []string{"malformed JSON at byte 16"}},
		{"pin", `{"pin":"802163"}}`, "", []string{"trailing data", "byte 16"}},
		{"pin", `{} {}`, "", []string{"trailing data", "byte 3"}}, // before the missing pin
		{"password", `{"password":"Tr1cky-Harbor","context":{"alias":"jdoe","alais":"x"}}`, "context.alais", []string{"did you mean alias?"}},
		{"password", `{"password":"Tr1cky-Harbor","context":{"previous":[null,1]}}`, "context.previous[0]", []string{"want a string, got null"}},
		{"dial", `{"number":"91408","number":"91408"}`, "number", []string{"more than once"}},
		{"dial", `{"number":"91408","tables":{"x":}}`, "tables.x", []string{"malformed JSON"}},
		{"lint", `{"table":"x"}`, "table", []string{"did you mean tables?"}},
		{"hash.verify", `{"record":"{SHA}5en6G6MezRroT3XKqkdPOmY/BfQ=","secret":"802163","fips":"yes"}`, "fips", []string{"want true or false, got a string"}},
		{"hash.make", `{"scheme":"{SHA}","secret":"802163","salt":0}`, "salt", []string{"want a string"}},
		{"signin", `{"state":{"failures":1,"sessions":{"web":"1"}},"event":{"type":"check","at":"2026-03-02T09:00:00Z"}}`, "state.sessions.web", []string{"want an integer"}},
		{"signin", `{"state":{"locked_at":5},"event":{"type":"check","at":"2026-03-02T09:00:00Z"}}`, "state.locked_at", []string{"want a string"}},
		{"signin", `{"event":{"type":"check","at":"2026-03-02T09:00:00Z","oke":true}}`, "event.oke", []string{"did you mean ok?"}},
		{"signin", `{"state":{"failures":99999999999999999999}}`, "state.failures", []string{"too large"}},
	} {
		err := decodeRequest([]byte(c.in), requestTypes[c.op]())
		e, ok := err.(*Error)
		if !ok {
			t.Errorf("%s %#q: error %v (%T), want an *Error", c.op, c.in, err, err)
			continue
		}
		if e.Code != ErrBadRequest || e.Field != c.field {
			t.Errorf("%s %#q: code %q field %q, want bad_request, field %q (%v)", c.op, c.in, e.Code, e.Field, c.field, e)
		}
		for _, m := range c.msg {
			if !strings.Contains(e.Message, m) {
				t.Errorf("%s %#q: message %q lacks %q", c.op, c.in, e.Message, m)
			}
		}
		for _, secret := range []string{"802163", "Tr1cky"} {
			if strings.Contains(e.Error(), secret) {
				t.Errorf("%s %#q: error %q echoes a secret", c.op, c.in, e)
			}
		}
	}
}

// TestDecodeNulls: null leaves a field at its zero value, as with
// encoding/json; a reference that is null reads as the text null, which
// the resolvers take as absent.
func TestDecodeNulls(t *testing.T) {
	var r PINRequest
	in := `{"policy":null,"pin":"","context":{"extensions":null,"first_name":null,"year":null}}`
	if err := decodeRequest([]byte(in), &r); err != nil {
		t.Fatal(err)
	}
	if !r.Policy.IsZero() || r.PIN != "" || r.Context.Extensions != nil || r.Context.Year != 0 {
		t.Errorf("decoded %+v", r)
	}
	var s SignInRequest
	in = `{"state":{"last_failure":null,"sessions":null,"must_change":null},"event":{"type":"check","at":"2026-03-02T09:00:00Z","ok":null,"by":null}}`
	if err := decodeRequest([]byte(in), &s); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(s, SignInRequest{Event: SignInEvent{Type: "check", At: "2026-03-02T09:00:00Z"}}) {
		t.Errorf("decoded %+v", s)
	}
	out, err := NewSession().Do("pin", []byte(`{"policy":null,"pin":"802163"}`), nil)
	if err != nil || !bytes.HasPrefix(out, []byte(`{"accepted":`)) {
		t.Errorf("pin with a null policy: %v %s", err, out)
	}
}

// TestRefJSON: with encoding/json, a reference marshals as its wire form
// (left out under omitzero when it is the default) and unmarshals as a
// copy.
func TestRefJSON(t *testing.T) {
	b, _ := json.Marshal(PINRequest{PIN: "1"})
	if strings.Contains(string(b), "policy") {
		t.Errorf("default policy not omitted: %s", b)
	}
	b, _ = json.Marshal(struct{ P PolicyRef }{})
	if string(b) != `{"P":null}` {
		t.Errorf("default PolicyRef marshals as %s", b)
	}
	for _, c := range []struct {
		ref  PolicyRef
		want string
	}{
		{PolicyJSON([]byte(` {"extends": "cuc"} `)), `{"policy":{"extends":"cuc"},"pin":"1","context":{}}`},
		{Profile("cuc-esm"), `{"policy":"cuc-esm","pin":"1","context":{}}`},
		{PolicyHandle(3), `{"policy":3,"pin":"1","context":{}}`},
	} {
		b, _ = json.Marshal(PINRequest{Policy: c.ref, PIN: "1"})
		if string(b) != c.want {
			t.Errorf("marshal %v: %s, want %s", c.ref, b, c.want)
		}
	}
	in := []byte(`{"policy":{"extends":"cuc"},"pin":"1"}`)
	var r PINRequest
	if err := json.Unmarshal(in, &r); err != nil {
		t.Fatal(err)
	}
	copy(in, bytes.Repeat([]byte("x"), len(in)))
	if doc, ok := r.Policy.JSON(); !ok || string(doc) != `{"extends":"cuc"}` {
		t.Errorf("unmarshal kept %q, want a copy", doc)
	}
	if err := json.Unmarshal([]byte(`{"policy":-1}`), &r); err == nil {
		t.Errorf("a negative handle unmarshalled")
	}
}

// TestAppendError: the error object is JSON encoding/json reads back.
func TestAppendError(t *testing.T) {
	for _, e := range []*Error{
		{Code: ErrBadRequest, Message: `unknown field "a\b" <x>` + "\n\xff", Field: "context.a\\b"},
		{Code: ErrUnknownOp, Message: "unknown operation"},
	} {
		out := appendError([]byte("prefix"), e)
		if !bytes.HasPrefix(out, []byte("prefix")) {
			t.Fatalf("appendError dropped what was in out: %s", out)
		}
		var got struct {
			Error map[string]string `json:"error"`
		}
		if err := json.Unmarshal(out[len("prefix"):], &got); err != nil {
			t.Fatalf("%s: %v", out, err)
		}
		want := map[string]string{"code": string(e.Code), "message": strings.ToValidUTF8(e.Message, "\uFFFD")}
		if e.Field != "" {
			want["field"] = e.Field
		}
		if !reflect.DeepEqual(got.Error, want) {
			t.Errorf("appendError = %s, read back %v, want %v", out, got.Error, want)
		}
	}
}

// decodeStd is the encoding/json decoder the api used before jsonx: the
// fuzz oracle.
func decodeStd(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return io.ErrUnexpectedEOF // any trailing data
	}
	return nil
}

// FuzzDecodeRequest holds the jsonx decoders to encoding/json with
// DisallowUnknownFields: whatever they accept, encoding/json accepts and
// decodes to the same struct. (They refuse more: repeated keys, keys that
// match only without case, a top-level null.)
func FuzzDecodeRequest(f *testing.F) {
	ops := make([]string, 0, len(requestTypes))
	for op, mk := range requestTypes {
		if mk != nil {
			ops = append(ops, op)
		}
	}
	sort.Strings(ops)
	for i, op := range ops {
		want := requestTypes[op]()
		fill(f, reflect.ValueOf(want).Elem(), op)
		b, _ := json.Marshal(want)
		f.Add(uint8(i), b)
	}
	for _, s := range []string{
		`{"pin":"802163","context":{"extensions":["2001"],"year":2026}}`,
		`{"policy":7,"password":"x\u00e9\ud83d\ude00","context":null}`,
		`{"tables":"default","number":"9 1 (408) 555-0134"}`,
		`{"state":{"failures":2,"sessions":{"web":1},"locked_at":null},"event":{"type":"signin","at":"2026-03-02T09:00:00Z","ok":true}}`,
		`{"record":"{SHA}5en6G6MezRroT3XKqkdPOmY/BfQ=","secret":"s","fips":true}`,
		"{\"pin\":\"\xff\\ud800\"} ",
	} {
		for i := range ops {
			f.Add(uint8(i), []byte(s))
		}
	}
	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		op := ops[int(which)%len(ops)]
		got := requestTypes[op]()
		err := decodeRequest(data, got)
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("%s: error %T, want *Error", op, err)
			}
			return
		}
		want := requestTypes[op]()
		if err := decodeStd(data, want); err != nil {
			t.Fatalf("%s %q: jsonx accepts, encoding/json refuses: %v", op, data, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%s %q:\njsonx         %+v\nencoding/json %+v", op, data, got, want)
		}
	})
}
