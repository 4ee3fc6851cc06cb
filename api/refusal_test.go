package api

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// TestRefusalCodec: a Refusal written by Append reads back the same with
// Decode and with encoding/json (through MarshalJSON/UnmarshalJSON), its
// field lists are its json tags, and the decoder is as strict as the
// others.
func TestRefusalCodec(t *testing.T) {
	want := Refusal{Refused: []RefusedField{
		{Field: "new_pin", Check: "pin", Reasons: []Reason{
			{Code: "sequential", Message: "m", HasSpan: true, Start: 0, End: 6},
			{Code: "too_short", Message: "n", Limit: 6},
		}},
		{Field: "forward_to", Check: "dial", Reasons: []Reason{DialMatched.Refusal()},
			Dial: &DialResult{Number: "9011", Reason: DialMatched, Table: "T", Row: 1, Pattern: "9011*"}},
	}}
	b := Append(nil, &want)
	const wire = `{"accepted":false,"refused":[` +
		`{"field":"new_pin","check":"pin","reasons":[{"code":"sequential","message":"m","start":0,"end":6},{"code":"too_short","message":"n","limit":6}]},` +
		`{"field":"forward_to","check":"dial","reasons":[{"code":"blocked","message":"This number is blocked by the restriction table."}],` +
		`"dial":{"number":"9011","allowed":false,"reason":"matched","table":"T","row":1,"pattern":"9011*"}}]}`
	if string(b) != wire {
		t.Errorf("Append:\n%s\nwant\n%s", b, wire)
	}
	var got Refusal
	if err := Decode(b, &got); err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("Decode = %+v, %v; want %+v", got, err, want)
	}
	var viaJSON Refusal
	if m, err := json.Marshal(want); err != nil || string(m) != wire {
		t.Errorf("json.Marshal = %s, %v", m, err)
	} else if err := json.Unmarshal(m, &viaJSON); err != nil || !reflect.DeepEqual(viaJSON, want) {
		t.Errorf("json.Unmarshal = %+v, %v", viaJSON, err)
	}

	for _, c := range []struct {
		typ   reflect.Type
		known []string
	}{{reflect.TypeFor[Refusal](), refusalFields}, {reflect.TypeFor[RefusedField](), refusedFieldFields}} {
		var tags []string
		for i := range c.typ.NumField() {
			name, _, _ := strings.Cut(c.typ.Field(i).Tag.Get("json"), ",")
			tags = append(tags, name)
		}
		if !slices.Equal(tags, c.known) {
			t.Errorf("%s: known fields %q, json tags %q", c.typ, c.known, tags)
		}
	}

	for _, bad := range []string{
		`{"accepted":false,"refused":[{"field":"a","colour":"red"}]}`,
		`{"accepted":false,"accepted":true}`,
		`{"accepted":false,"refused":[]} x`,
		`{"accepted":false,"refused":[{"field":"a","dial":{"rows":1}}]}`,
	} {
		var r Refusal
		var e *Error
		if err := Decode([]byte(bad), &r); err == nil {
			t.Errorf("Decode(%s) accepted it", bad)
		} else if !errorAs(err, &e) || e.Code != ErrBadRequest {
			t.Errorf("Decode(%s) = %v, want a bad_request *Error", bad, err)
		}
	}
}

func errorAs(err error, e **Error) bool {
	x, ok := err.(*Error)
	*e = x
	return ok
}

// TestDialReasonRefusal: each dial reason is explained by the refusal
// catalogue, an unknown one as blocked.
func TestDialReasonRefusal(t *testing.T) {
	for r, code := range map[DialReason]string{
		DialMatched: "blocked", DialNoMatch: "no_match", DialTooShort: "too_short",
		DialTooLong: "too_long", DialInvalid: "invalid", DialTimeout: "timeout", "new_reason": "blocked",
	} {
		x := r.Refusal()
		if string(x.Code) != code || x.Message == "" || x.HasSpan || x.Limit != 0 || x.Detail != "" {
			t.Errorf("%s.Refusal() = %+v, want code %s with a message", r, x, code)
		}
	}
	if DialTooShort.Refusal().Message == DialTooLong.Refusal().Message {
		t.Error("too_short and too_long share a message")
	}
}
