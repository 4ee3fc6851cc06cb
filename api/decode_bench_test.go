package api

import "testing"

// BenchmarkDecode reads each request with its jsonx decoder and with the
// encoding/json decoder the api used before (decodeStd), in one run so
// the ratio holds on a noisy machine.
func BenchmarkDecode(b *testing.B) {
	for _, c := range []struct{ op, req string }{
		{"pin", `{"policy":"cuc","pin":"802163","context":{"extensions":["36697","2001"],"first_name":"Jane","last_name":"Doe","dob":"1984-03-12","year":2026,"previous":["112358"]}}`},
		{"password", `{"policy":"cuc","password":"Tr1cky-Harbor-94","context":{"alias":"jdoe","extensions":["36697"],"old":"Harbor-93-Tr1cky"}}`},
		{"dial", `{"tables":"default","number":"9 1 (408) 555-0134"}`},
		{"signin", `{"policy":"cuc","kind":"pin","state":{"failures":2,"last_failure":"2026-03-02T09:01:00Z","locked_at":null,"must_change":false,"changed_at":null,"last_signin":null,"inactive":false,"sessions":{"telephony":1,"imap":0,"web":0}},"event":{"type":"signin","at":"2026-03-02T09:02:00Z","ok":false}}`},
	} {
		data := []byte(c.req)
		mk := requestTypes[c.op]
		b.Run(c.op+"/jsonx", func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				if err := decodeRequest(data, mk()); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(c.op+"/encoding-json", func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				if err := decodeStd(data, mk()); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
