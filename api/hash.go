package api

import (
	"context"
	"strconv"

	"github.com/tollgate/tollgate/core/credential"
)

// HashVerifyRequest is the "hash.verify" operation: check a secret against
// a stored-credential record. FIPS applies Unity Connection's FIPS mode.
// Scheme is the scheme records should be in (rehash target); empty means
// only legacy MD5 records are advised, to {PBKDF2-SHA256}. Salt (hex) is
// the salt for the rehash record; when empty one is drawn at random (the
// corpus gives one so answers are reproducible). Iterations is the PBKDF2
// count new records get (a PBKDF2 record with fewer is advised to be
// rehashed); 0 takes the policy's hash.iterations (600 000 in every
// profile).
type HashVerifyRequest struct {
	Record     string    `json:"record"`
	Secret     string    `json:"secret"`
	FIPS       bool      `json:"fips,omitempty"`
	Scheme     string    `json:"scheme,omitempty"`
	Salt       string    `json:"salt,omitempty"`
	Iterations int       `json:"iterations,omitempty"`
	Policy     PolicyRef `json:"policy,omitzero"`
}

// HashMakeRequest is the "hash.make" operation: make a record of Scheme
// for Secret. Salt is hex; when empty the scheme's usual salt length is
// drawn at random (core reads no randomness). Iterations and Policy are
// HashVerifyRequest's.
type HashMakeRequest struct {
	Scheme     string    `json:"scheme"`
	Secret     string    `json:"secret"`
	Salt       string    `json:"salt,omitempty"`
	Iterations int       `json:"iterations,omitempty"`
	Policy     PolicyRef `json:"policy,omitzero"`
}

// iterations is the PBKDF2 count of new records for a hash request: the
// request's own, else its policy's hash.iterations.
func (s *Session) iterations(n int, policy PolicyRef) (int, error) {
	if n != 0 {
		if n < credential.MinIterations || n > credential.MaxIterations {
			return 0, &Error{Code: ErrBadRequest, Field: "iterations", Message: strconv.Itoa(n) + " is out of range " +
				strconv.Itoa(credential.MinIterations) + ".." + strconv.Itoa(credential.MaxIterations)}
		}
		return n, nil
	}
	p, err := s.policy(policy)
	if err != nil {
		return 0, err
	}
	return p.Hash.Iterations, nil
}

// VerifyHash checks r's secret against r's record, and makes the rehash
// record when one is advised.
func (s *Session) VerifyHash(ctx context.Context, r *HashVerifyRequest) (HashResult, error) {
	r, err := r.valid()
	if err != nil {
		return HashResult{}, err
	}
	st := s.stopper(ctx)
	o := credential.Options{FIPS: r.FIPS, Interrupt: st.stop}
	if o.Iterations, err = s.iterations(r.Iterations, r.Policy); err != nil {
		return HashResult{}, err
	}
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
	if res.Reason == credential.Interrupted || st.fired {
		return HashResult{}, errInterrupted
	}
	out := HashResult{Verified: res.Verified, Reason: HashReason(res.Reason), Scheme: res.Scheme.String()}
	if res.Err != nil {
		// What is wrong with the record and where (a part, an offset, a
		// length), never its content.
		out.Detail = res.Err.Msg
	}
	if res.Rehash {
		salt, err := s.saltFor(res.RehashTo, r.Salt)
		if err != nil {
			return HashResult{}, err
		}
		rec, err := credential.MakeWith(res.RehashTo, r.Secret, salt, o)
		if err != nil {
			return HashResult{}, makeError(err)
		}
		out.Rehash = rec
	}
	return out, nil
}

// MakeHash makes a record of r's secret.
func (s *Session) MakeHash(ctx context.Context, r *HashMakeRequest) (HashRecord, error) {
	r, err := r.valid()
	if err != nil {
		return HashRecord{}, err
	}
	if r.Scheme == "" {
		return HashRecord{}, &Error{Code: ErrBadRequest, Field: "scheme", Message: "scheme is required (" + schemeNames() + ")"}
	}
	sc, ok := credential.ParseScheme(r.Scheme)
	if !ok {
		return HashRecord{}, unknownScheme(r.Scheme)
	}
	n, err := s.iterations(r.Iterations, r.Policy)
	if err != nil {
		return HashRecord{}, err
	}
	salt, err := s.saltFor(sc, r.Salt)
	if err != nil {
		return HashRecord{}, err
	}
	st := s.stopper(ctx)
	rec, err := credential.MakeWith(sc, r.Secret, salt, credential.Options{Iterations: n, Interrupt: st.stop})
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
	if err := randomBytes(b); err != nil {
		return nil, &Error{Code: ErrInternal, Message: "no randomness for a salt: " + err.Error()}
	}
	return b, nil
}

func makeError(err error) error {
	if err == credential.ErrInterrupted {
		return errInterrupted
	}
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
