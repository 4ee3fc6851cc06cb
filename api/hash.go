package api

import (
	"context"
	"crypto/rand"

	"github.com/tollgate/tollgate/core/credential"
)

// HashVerifyRequest is the "hash.verify" operation: check a secret against
// a stored-credential record. FIPS applies Unity Connection's FIPS mode.
// Scheme is the scheme records should be in (rehash target); empty means
// only legacy MD5 records are advised, to {PBKDF2-SHA256}. Salt (hex) is
// the salt for the rehash record; when empty one is drawn at random (the
// corpus gives one so answers are reproducible).
type HashVerifyRequest struct {
	Record string `json:"record"`
	Secret string `json:"secret"`
	FIPS   bool   `json:"fips,omitempty"`
	Scheme string `json:"scheme,omitempty"`
	Salt   string `json:"salt,omitempty"`
}

// HashMakeRequest is the "hash.make" operation: make a record of Scheme
// for Secret. Salt is hex; when empty the scheme's usual salt length is
// drawn at random (core reads no randomness).
type HashMakeRequest struct {
	Scheme string `json:"scheme"`
	Secret string `json:"secret"`
	Salt   string `json:"salt,omitempty"`
}

// VerifyHash checks r's secret against r's record, and makes the rehash
// record when one is advised.
func (s *Session) VerifyHash(_ context.Context, r *HashVerifyRequest) (HashResult, error) {
	var o credential.Options
	o.FIPS = r.FIPS
	if r.Scheme != "" {
		t, ok := credential.ParseScheme(r.Scheme)
		if !ok {
			return HashResult{}, unknownScheme(r.Scheme)
		}
		if r.FIPS && !t.FIPS() {
			return HashResult{}, &Error{Code: ErrBadRequest, Field: "scheme", Message: "an MD5 scheme cannot be the target in FIPS mode"}
		}
		o.Target = t
	}
	res := credential.Verify(r.Record, r.Secret, o)
	out := HashResult{Verified: res.Verified, Reason: HashReason(res.Reason), Scheme: res.Scheme.String()}
	if res.Rehash {
		salt, err := s.saltFor(res.RehashTo, r.Salt)
		if err != nil {
			return HashResult{}, err
		}
		rec, err := credential.Make(res.RehashTo, r.Secret, salt)
		if err != nil {
			return HashResult{}, makeError(err)
		}
		out.Rehash = rec
	}
	return out, nil
}

// MakeHash makes a record of r's secret.
func (s *Session) MakeHash(_ context.Context, r *HashMakeRequest) (HashRecord, error) {
	if r.Scheme == "" {
		return HashRecord{}, &Error{Code: ErrBadRequest, Field: "scheme", Message: "scheme is required (" + schemeNames() + ")"}
	}
	sc, ok := credential.ParseScheme(r.Scheme)
	if !ok {
		return HashRecord{}, unknownScheme(r.Scheme)
	}
	salt, err := s.saltFor(sc, r.Salt)
	if err != nil {
		return HashRecord{}, err
	}
	rec, err := credential.Make(sc, r.Secret, salt)
	if err != nil {
		return HashRecord{}, makeError(err)
	}
	return HashRecord{Record: rec}, nil
}

// saltFor decodes a hex salt, or draws the scheme's usual length at random
// when none is given.
func (s *Session) saltFor(sc credential.Scheme, hexSalt string) ([]byte, error) {
	if hexSalt != "" {
		b, ok := credential.DecodeHex(hexSalt)
		if !ok {
			return nil, &Error{Code: ErrBadRequest, Field: "salt", Message: "salt must be hexadecimal, an even number of digits"}
		}
		return b, nil
	}
	n := sc.SaltLen()
	if n == 0 {
		return nil, nil
	}
	b := make([]byte, n)
	fill := s.opts.Rand
	if fill == nil {
		fill = func(b []byte) error { _, err := rand.Read(b); return err }
	}
	if err := fill(b); err != nil {
		return nil, &Error{Code: ErrInternal, Message: "no randomness for a salt: " + err.Error()}
	}
	return b, nil
}

func makeError(err error) error {
	e, ok := err.(*credential.Error)
	if !ok {
		return &Error{Code: ErrInternal, Message: err.Error()}
	}
	field := "salt"
	if e.Reason == credential.UnknownScheme {
		field = "scheme"
	}
	return &Error{Code: ErrBadRequest, Field: field, Message: e.Error()}
}

// unknownScheme does not repeat the name: a record pasted into the wrong
// field would otherwise end up in an error message.
func unknownScheme(string) error {
	return &Error{Code: ErrBadRequest, Field: "scheme", Message: "unknown scheme; known: " + schemeNames()}
}

func schemeNames() string {
	var b []byte
	for i, s := range credential.Schemes() {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = append(b, s.String()...)
	}
	return string(b)
}
