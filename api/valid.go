package api

import (
	"strconv"
	"unicode/utf8"
)

// A request built in Go may hold strings that are not UTF-8, which no
// JSON request can: the decoder refuses such a secret (it would be hashed
// or compared as something else) and reads any other string with each bad
// byte as U+FFFD, and the wasm engine's encoder writes them so. Every
// Session method first puts a Go request in that same form (valid),
// so both engines give the same answer for it.

// badText is the index of the first byte of s that is not part of a UTF-8
// sequence, or -1.
func badText(s string) int {
	for i := 0; i < len(s); {
		if s[i] < utf8.RuneSelf {
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			return i
		}
		i += n
	}
	return -1
}

// secret refuses a secret that is not UTF-8, as the decoder does.
func secret(field, s string) error {
	if i := badText(s); i >= 0 {
		return &Error{Code: ErrBadRequest, Field: field, Message: "not valid Unicode text: invalid UTF-8 at byte " + strconv.Itoa(i) +
			" of the value; this value is used exactly as sent, never repaired, so it must be UTF-8 text"}
	}
	return nil
}

func secrets(field string, list []string) error {
	for i, s := range list {
		if err := secret(field+"["+strconv.Itoa(i)+"]", s); err != nil {
			return err
		}
	}
	return nil
}

// repaired is s with each byte that is not UTF-8 replaced by U+FFFD, as
// JSON carries it; s itself when it is valid (no allocation).
func repaired(s string) string {
	if badText(s) < 0 {
		return s
	}
	b := make([]byte, 0, len(s)+8)
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			b = utf8.AppendRune(b, utf8.RuneError)
		} else {
			b = append(b, s[i:i+n]...)
		}
		i += n
	}
	return string(b)
}

func repairedList(list []string) []string {
	for i, s := range list {
		if badText(s) >= 0 {
			out := append([]string(nil), list...)
			for j := i; j < len(out); j++ {
				out[j] = repaired(out[j])
			}
			return out
		}
	}
	return list
}

func (r ref) repaired() ref {
	if r.kind == refName {
		r.name = repaired(r.name)
	}
	return r
}

// valid returns r in its wire form: r itself when nothing needs repair.
func (r *PINRequest) valid() (*PINRequest, error) {
	if err := secret("pin", r.PIN); err != nil {
		return nil, err
	}
	if err := secrets("context.previous", r.Context.Previous); err != nil {
		return nil, err
	}
	c := &r.Context
	if badText(r.Policy.name) < 0 && badText(c.FirstName) < 0 && badText(c.LastName) < 0 && badText(c.DateOfBirth) < 0 &&
		validList(c.Extensions) && validList(c.PreviousRecords) {
		return r, nil
	}
	v := *r
	v.Policy.ref = r.Policy.ref.repaired()
	v.Context.FirstName, v.Context.LastName, v.Context.DateOfBirth = repaired(c.FirstName), repaired(c.LastName), repaired(c.DateOfBirth)
	v.Context.Extensions, v.Context.PreviousRecords = repairedList(c.Extensions), repairedList(c.PreviousRecords)
	return &v, nil
}

func (r *PasswordRequest) valid() (*PasswordRequest, error) {
	if err := secret("password", r.Password); err != nil {
		return nil, err
	}
	if err := secret("context.old", r.Context.Old); err != nil {
		return nil, err
	}
	if err := secrets("context.previous", r.Context.Previous); err != nil {
		return nil, err
	}
	c := &r.Context
	if badText(r.Policy.name) < 0 && badText(c.Alias) < 0 && validList(c.Extensions) && validList(c.PreviousRecords) {
		return r, nil
	}
	v := *r
	v.Policy.ref = r.Policy.ref.repaired()
	v.Context.Alias = repaired(c.Alias)
	v.Context.Extensions, v.Context.PreviousRecords = repairedList(c.Extensions), repairedList(c.PreviousRecords)
	return &v, nil
}

func (r *DialRequest) valid() *DialRequest {
	if badText(r.Tables.name) < 0 && badText(r.Table) < 0 && badText(r.COS) < 0 && badText(r.Feature) < 0 && badText(r.Number) < 0 {
		return r
	}
	v := *r
	v.Tables.ref = r.Tables.ref.repaired()
	v.Table, v.COS, v.Feature, v.Number = repaired(r.Table), repaired(r.COS), repaired(r.Feature), repaired(r.Number)
	return &v
}

func (r *HashVerifyRequest) valid() (*HashVerifyRequest, error) {
	if err := secret("secret", r.Secret); err != nil {
		return nil, err
	}
	if badText(r.Record) < 0 && badText(r.Scheme) < 0 && badText(r.Salt) < 0 && badText(r.Policy.name) < 0 {
		return r, nil
	}
	v := *r
	v.Record, v.Scheme, v.Salt = repaired(r.Record), repaired(r.Scheme), repaired(r.Salt)
	v.Policy.ref = r.Policy.ref.repaired()
	return &v, nil
}

func (r *HashMakeRequest) valid() (*HashMakeRequest, error) {
	if err := secret("secret", r.Secret); err != nil {
		return nil, err
	}
	if badText(r.Scheme) < 0 && badText(r.Salt) < 0 && badText(r.Policy.name) < 0 {
		return r, nil
	}
	v := *r
	v.Scheme, v.Salt = repaired(r.Scheme), repaired(r.Salt)
	v.Policy.ref = r.Policy.ref.repaired()
	return &v, nil
}

func validList(list []string) bool {
	for _, s := range list {
		if badText(s) >= 0 {
			return false
		}
	}
	return true
}

// Validate puts a request built in Go in its wire form, as every Session
// method does first: a secret that is not UTF-8 is refused with the
// decoder's error, and any other string has each byte that is not UTF-8
// replaced by U+FFFD. An engine that sends requests elsewhere (the wasm
// engine) calls it before encoding, so that both engines answer alike.
func Validate[R interface {
	*PINRequest | *PasswordRequest | *DialRequest | *HashVerifyRequest | *HashMakeRequest
}](r R) (R, error) {
	switch r := any(r).(type) {
	case *PINRequest:
		v, err := r.valid()
		return any(v).(R), err
	case *PasswordRequest:
		v, err := r.valid()
		return any(v).(R), err
	case *DialRequest:
		return any(r.valid()).(R), nil
	case *HashVerifyRequest:
		v, err := r.valid()
		return any(v).(R), err
	case *HashMakeRequest:
		v, err := r.valid()
		return any(v).(R), err
	}
	panic("unreachable")
}
