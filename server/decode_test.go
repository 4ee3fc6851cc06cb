package server

import (
	"bytes"
	"strings"
	"testing"

	"github.com/tollgate/tollgate/api"
)

// dialSeeds are dial bodies good and bad: every rule of the api's reader.
var dialSeeds = []string{
	`{"number":"911"}`, ` { "number" : "9 1 408" , "feature":"transfer","cos":"Staff" } `,
	`{"number":"1","tables":"recommended","table":"Default Transfer"}`, `{"number":"1","tables":7}`,
	`{"number":"1","tables":{"tables":[]}}`, `{"number":"1","tables":-1}`, `{"number":"1","tables":1.5}`,
	`{"number":"1","tables":4294967296}`, `{"number":"1","tables":true}`, `{"number":"1","tables":null}`,
	`{"number":"1","tables":{"a":1,"a":2}}`, `{}`, `{"number":null}`, `{"number":1}`, `{"table":"x"}`,
	`{"number":"1","number":"2"}`, `{"number":"1","numbr":"2"}`, `{"number":"1","739164":true}`,
	`{"number":"1"} x`, `{"number":"1"}}`, `{} {}`, `{"number":"1",}`, `{"number":"1"`, `{"number":"\ud800"}`,
	"{\"number\":\"1\xff\"}", `{"number":"1","cos":null,"feature":null,"table":null}`, `[]`, `null`, `"x"`, ``,
	`{"caller":"2001","number":"1"}`, `{"caller":null,"number":"1"}`, `{"caller":1,"number":"1"}`,
	`{"caller":"2001","caller":"2002","number":"1"}`, `{"Number":"1"}`, `{"tables":`, `{"tables":[1]}`, `{"aler" :`, `{"number":"1","x":{"y":[1,{"z":2,"z":3}]}}`,
}

// TestDialDecodeIsTheAPIs holds the service's dial decoder to the api's
// (api.Decode into api.DialRequest): the same request or the same error,
// for every body; the one difference is caller, which only the service
// takes (an unknown member's error lists it too).
func TestDialDecodeIsTheAPIs(t *testing.T) {
	for _, s := range dialSeeds {
		checkDialDecode(t, []byte(s))
	}
}

func FuzzDialDecode(f *testing.F) {
	for _, s := range dialSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(checkDialDecode)
}

func checkDialDecode(t *testing.T, body []byte) {
	var want api.DialRequest
	apiErr := api.Decode(body, &want)
	var got dialRequest
	e := got.decode(body)
	if ae, ok := apiErr.(*api.Error); ok && (ae.Field == "caller" || ae.Field == "<6-byte key>") &&
		strings.HasPrefix(ae.Message, "unknown field") && bytes.Contains(body, []byte(`"caller"`)) {
		return // the api refuses the member the service takes
	}
	switch {
	case apiErr == nil && e == nil:
		if got.hasCaller || !bytes.Equal(api.Append(nil, &got.DialRequest), api.Append(nil, &want)) {
			t.Fatalf("%q: service decoded %s (caller %v), api %s", body, api.Append(nil, &got.DialRequest), got.hasCaller, api.Append(nil, &want))
		}
	case apiErr == nil:
		t.Fatalf("%q: the api takes it, the service refuses it: %v", body, e)
	case e == nil:
		if !got.hasCaller {
			t.Fatalf("%q: the api refuses it (%v), the service takes it", body, apiErr)
		}
	default:
		ae := apiErr.(*api.Error)
		if strings.Contains(e.Message, "(did you mean caller?)") {
			return // a near miss of the service's member
		}
		msg := strings.Replace(e.Message, "feature, number, caller", "feature, number", 1)
		if e.Code != ae.Code || e.Field != ae.Field || msg != ae.Message {
			t.Fatalf("%q: service error %+v, api error %+v", body, e, ae)
		}
	}
}
