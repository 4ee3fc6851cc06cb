package api_test

import (
	"testing"

	"github.com/tollgate/tollgate/api"
)

// These measure one call through Session.Do, as a host makes it: decoding
// the request, resolving the policy or tables by name (cached after the
// first call), checking, and writing the response. The requests carry the
// context fields a portal sends, so decoding is a realistic share.

func benchDo(b *testing.B, op, req string) {
	s := api.NewSession()
	r := []byte(req)
	out, err := s.Do(op, r, nil)
	if err != nil {
		b.Fatalf("%s: %v: %s", op, err, out)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(r)))
	for b.Loop() {
		out, _ = s.Do(op, r, out[:0])
	}
}

func BenchmarkDoPIN(b *testing.B) {
	benchDo(b, "pin", `{"policy":"cuc","pin":"802163","context":{"extensions":["36697","2001"],"first_name":"Jane","last_name":"Doe","dob":"1984-03-12","year":2026,"previous":["112358"]}}`)
}

func BenchmarkDoPassword(b *testing.B) {
	benchDo(b, "password", `{"policy":"cuc","password":"Tr1cky-Harbor-94","context":{"alias":"jdoe","extensions":["36697"],"old":"Harbor-93-Tr1cky"}}`)
}

func BenchmarkDoDial(b *testing.B) {
	benchDo(b, "dial", `{"tables":"default","number":"9 1 (408) 555-0134"}`)
}

// BenchmarkDoBadRequest is the error path: an unknown field, answered with
// an error object.
func BenchmarkDoBadRequest(b *testing.B) {
	s := api.NewSession()
	r := []byte(`{"policy":"cuc","pn":"802163"}`)
	out, _ := s.Do("pin", r, nil)
	b.ReportAllocs()
	for b.Loop() {
		out, _ = s.Do("pin", r, out[:0])
	}
}

// BenchmarkCheckPINRefused is a typed check of a PIN that trips several
// rules, as most rows of a bulk audit do: each reason's message is
// rendered (core.Message).
func BenchmarkCheckPINRefused(b *testing.B) {
	s := api.NewSession()
	r := &api.PINRequest{Policy: api.Profile("cuc"), PIN: "111111", Context: api.PINContext{Extensions: []string{"1111"}}}
	v, err := s.CheckPIN(b.Context(), r)
	if err != nil || len(v.Reasons) < 2 {
		b.Fatalf("%+v, %v: want a verdict of several reasons", v, err)
	}
	b.ReportAllocs()
	for b.Loop() {
		s.CheckPIN(b.Context(), r)
	}
}
