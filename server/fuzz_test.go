package server

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
)

// FuzzWithDefault checks the byte splicing that adds a default policy to
// a request against the oracle of decoding: the result is one valid JSON
// object equal to the request's object plus the default when the request
// had no (or a null) policy, and the request untouched otherwise; and a
// request readObject refuses (a key twice at any depth, say) is never
// spliced.
func FuzzWithDefault(f *testing.F) {
	for _, s := range []string{`{}`, ` { } `, `{"pin":"1"}`, `{"policy":null,"pin":"1"}`, `{"policy":"cuc"}`,
		"{\n\"a\":[1,{\"policy\":2}]\n}", `{"a":1,"a":2}`, `{"policy":{"extends":"cuc"}}`,
		`{"pin":"1","pin":"739164","policy":null}`, `{"policy" : null , "x":{"y":[null]}}`} {
		f.Add([]byte(s))
	}
	// The default is a handle (what the service sends once it has loaded
	// its default) or a document (an engine without the load ops).
	defs := [][]byte{[]byte(`3`), []byte(`{"extends":"exchange-um"}`)}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, def := range defs {
			checkWithDefault(t, body, def)
		}
	})
}

func checkWithDefault(t *testing.T, body, def []byte) {
	obj, e := readObject(body, "the request body")
	if e != nil {
		return // the service answers 400; nothing is spliced
	}
	var before map[string]any
	if json.Unmarshal(body, &before) != nil {
		t.Fatalf("readObject accepted %q, which does not decode", body)
	}
	if len(obj.members) != len(before) {
		t.Fatalf("readObject accepted %q with %d members, which decodes to %d: a key twice", body, len(obj.members), len(before))
	}
	out := splice(body, defaultEdit(body, &obj, "policy", def))
	var after map[string]any
	dec := json.NewDecoder(bytes.NewReader(out))
	if err := dec.Decode(&after); err != nil || len(bytes.TrimSpace(out[dec.InputOffset():])) != 0 {
		t.Fatalf("splice(%q) = %q: not one JSON object (%v)", body, out, err)
	}
	if p, ok := before["policy"]; ok && p != nil {
		if !bytes.Equal(out, body) {
			t.Fatalf("a request with its own policy was changed: %q → %q", body, out)
		}
		return
	}
	if again, e := readObject(out, "the request body"); e != nil || len(again.members) != len(after) {
		t.Fatalf("splice(%q) = %q, which readObject refuses or reads with a key twice: %v", body, out, e)
	}
	want := map[string]any{}
	for k, v := range before {
		want[k] = v
	}
	var d any
	json.Unmarshal(def, &d)
	want["policy"] = d
	var got map[string]any
	json.Unmarshal(out, &got)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("splice(%q) = %q, want the request plus the default", body, out)
	}
}
