// Package credential parses, verifies and makes stored-credential records
// (RFC 2307 / OpenLDAP schemes, PBKDF2, hex exports) with Unity
// Connection's FIPS semantics. It depends on nothing else in tollgate but
// internal/digest (its hash code, see hash_small.go), so core's
// history rule can use it.
//
// Records are the userPassword values OpenLDAP's slappasswd prints
// ({SHA}, {SSHA}, {MD5}, {SMD5}, and with the pw-sha2 module {SHA256},
// {SSHA256}, {SHA384}, {SSHA384}, {SHA512}, {SSHA512}), the PBKDF2 format
// of OpenLDAP's contrib pw-pbkdf2 module ({PBKDF2-SHA256}ITER$SALT$DK,
// which passlib and 389-DS's PBKDF2-SHA256 also write), and the hex
// digests of CSV exports (sha1:HEX, md5:HEX). See docs/credentials.md.
//
// The package reads no randomness: Make takes the salt from its caller.
// Digests are compared in constant time. No error or result carries the
// secret, the digest or the salt.
package credential

import (
	"crypto/subtle"
	"errors"
	"strconv"
	"strings"

	"github.com/tollgate/tollgate/internal/digest"
)

// Reason is the outcome of a verification, one of the stable codes below.
type Reason string

// Verification outcomes (DESIGN.md, "Credential" codes).
const (
	OK             Reason = "ok"
	Mismatch       Reason = "mismatch"
	FIPSLegacyHash Reason = "fips_legacy_hash" // an MD5 record under FIPS mode
	UnknownScheme  Reason = "unknown_scheme"
	Malformed      Reason = "malformed"
	// Interrupted is not a verdict: the caller's Options.Interrupt stopped
	// the key derivation before it finished, so nothing is known.
	Interrupted Reason = "interrupted"
)

// ErrInterrupted is MakeWith's error when Options.Interrupt stopped it.
var ErrInterrupted = errors.New("credential: interrupted before the key derivation finished")

// Limits on what Parse accepts, so a hostile record cannot make a verifier
// allocate or spin without bound.
const (
	// MaxRecordLen bounds a record's length in bytes; the longest record
	// made here ({PBKDF2-SHA512} with a 64-byte salt) is about 200.
	MaxRecordLen = 1024
	// MaxSaltLen bounds a salt in bytes, for Make and for PBKDF2 records
	// (pw-pbkdf2's PBKDF2_MAX_SALT_SIZE).
	MaxSaltLen = 64
	// MaxIterations bounds a PBKDF2 iteration count, of a record to verify
	// or to make: above what real systems store (pw-pbkdf2's default
	// 10,000; OWASP's 2023 advice of 600,000 for SHA-256 and 210,000 for
	// SHA-512; passlib's defaults of 29,000 and 25,000), so no real record
	// is refused, yet low enough that one verification is one bounded
	// piece of work: about 0.5 s natively and 3 s in the WebAssembly
	// engine (docs/performance.md), under the decision service's 10 s
	// deadline. A record above it is Malformed, with a message giving the
	// range. (OWASP's 1,300,000 for SHA-1 is above it: a site that stores
	// those should move to SHA-256 at 600,000.)
	MaxIterations = 1_000_000
	// MinIterations is the least count a policy or a request may ask new
	// records to use (NIST SP 800-132: at least 1,000). Records already
	// stored with fewer still verify, with rehash advice.
	MinIterations = 1_000
	// DefaultIterations is the count new PBKDF2 records get when the
	// caller sets none: OWASP's 2023 advice for PBKDF2-HMAC-SHA256.
	DefaultIterations = 600_000
	// interruptEvery is how many PBKDF2 iterations pass between two polls
	// of Options.Interrupt: about 0.5 ms natively, 3 ms in WebAssembly.
	interruptEvery = 1024
)

// DefaultTarget is the scheme a legacy record is rehashed to when the
// caller configures none: PBKDF2 with HMAC-SHA256, a FIPS-approved key
// derivation (NIST SP 800-132).
const DefaultTarget = PBKDF2SHA256

// Error is a record that could not be parsed, or a record that could not
// be made. Msg says what is wrong and where, never with the record's
// content; Part and Offset say the same for a program.
type Error struct {
	Reason Reason // Malformed or UnknownScheme
	Scheme Scheme // the scheme, when it was recognised
	// Part is the part of the record that is wrong: one of the Part
	// constants, "" for an error of Make.
	Part string
	// Offset is the byte offset in the record (from 0) of the first byte
	// that is wrong, or -1 when the problem is a length or a count.
	Offset int
	Msg    string
}

// Parts of a record, for Error.Part.
const (
	PartRecord     = "record"     // the record as a whole (empty, too long)
	PartLabel      = "label"      // the scheme label ({SSHA}, sha1:)
	PartPayload    = "payload"    // the base64 of an RFC 2307 record: digest and salt
	PartIterations = "iterations" // a PBKDF2 record's iteration count
	PartSalt       = "salt"       // a PBKDF2 record's salt
	PartDigest     = "digest"     // a PBKDF2 record's derived key, or the hex digits of sha1:/md5:
)

func (e *Error) Error() string {
	if e.Scheme != SchemeNone {
		return "credential: " + e.Scheme.String() + " record: " + e.Msg
	}
	return "credential: " + e.Msg
}

func malformed(s Scheme, msg string) *Error {
	return &Error{Reason: Malformed, Scheme: s, Offset: -1, Msg: msg}
}

// bad is a malformed record whose part is wrong at byte off (-1: as a
// whole); msg says what and where (byteAt).
func bad(s Scheme, part string, off int, msg string) *Error {
	return &Error{Reason: Malformed, Scheme: s, Part: part, Offset: off, Msg: msg}
}

// byteAt renders an offset in the record for a message.
func byteAt(off int) string { return "byte " + strconv.Itoa(off) }

// Record is a parsed stored credential. Verify and Check reuse it without
// parsing again, which is what an audit trying many candidate PINs against
// one record needs. A Record never prints its digest or salt.
type Record struct {
	scheme Scheme
	iter   int
	salt   []byte
	digest []byte
}

// Scheme is the record's scheme.
func (r *Record) Scheme() Scheme { return r.scheme }

// Iterations is a PBKDF2 record's iteration count, 0 for other schemes.
func (r *Record) Iterations() int { return r.iter }

// SaltLen is the length of the record's salt in bytes.
func (r *Record) SaltLen() int { return len(r.salt) }

// String names the scheme only, so a record that reaches a log or a
// format verb shows no digest.
func (r *Record) String() string { return r.scheme.String() + " record" }

// GoString is String, for %#v.
func (r *Record) GoString() string { return r.String() }

// Parse reads a record. Its error is an *Error with Reason Malformed or
// UnknownScheme, the part of the record that is wrong and the offset of
// the first wrong byte. Scheme names match without regard to case, as in
// OpenLDAP.
func Parse(record string) (*Record, error) {
	switch {
	case record == "":
		return nil, bad(SchemeNone, PartRecord, -1, "empty record")
	case len(record) > MaxRecordLen:
		return nil, bad(SchemeNone, PartRecord, -1, "record is "+strconv.Itoa(len(record))+" bytes, at most "+strconv.Itoa(MaxRecordLen))
	}
	if record[0] == '{' {
		end := strings.IndexByte(record, '}')
		if end < 0 {
			return nil, bad(SchemeNone, PartLabel, 0, "scheme label opened at byte 0 has no closing '}'")
		}
		s, ok := braced(strings.ToUpper(record[1:end]))
		if !ok {
			return nil, &Error{Reason: UnknownScheme, Part: PartLabel, Offset: 0,
				Msg: "scheme label of " + strconv.Itoa(end+1) + " bytes is not one tollgate reads ({SHA}, {SSHA}, {PBKDF2-SHA256}, ...: docs/credentials.md)"}
		}
		body := record[end+1:]
		if schemes[s].form == formPBKDF2 {
			return parsePBKDF2(s, body, end+1)
		}
		return parseRFC2307(s, body, end+1)
	}
	colon := strings.IndexByte(record, ':')
	if colon > 0 {
		switch strings.ToLower(record[:colon]) {
		case "sha1":
			return parseHex(HexSHA1, record[colon+1:], colon+1)
		case "md5":
			return parseHex(HexMD5, record[colon+1:], colon+1)
		}
	}
	return nil, &Error{Reason: UnknownScheme, Part: PartLabel, Offset: -1, Msg: "no scheme label ({SCHEME} or sha1:/md5:)"}
}

// parseRFC2307 reads base64(digest || salt); at is the offset of body in
// the record.
func parseRFC2307(s Scheme, body string, at int) (*Record, error) {
	si := &schemes[s]
	raw, err := decodeB64(s, PartPayload, "base64 payload", body, at)
	if err != nil {
		return nil, err
	}
	n := si.alg.size()
	switch {
	case !si.salted && len(raw) != n:
		return nil, bad(s, PartPayload, -1, "digest is "+strconv.Itoa(len(raw))+" bytes, want "+strconv.Itoa(n))
	case si.salted && len(raw) <= n:
		return nil, bad(s, PartPayload, -1, "payload is "+strconv.Itoa(len(raw))+" bytes, want a "+strconv.Itoa(n)+"-byte digest and at least 1 byte of salt")
	}
	return &Record{scheme: s, digest: raw[:n:n], salt: raw[n:]}, nil
}

// decodeB64 decodes standard base64, padded or not. It refuses anything
// else (whitespace included, which encoding/base64 would skip). name and
// part say what body is; at is its offset in the record.
func decodeB64(s Scheme, part, name, body string, at int) ([]byte, *Error) {
	if body == "" {
		return nil, bad(s, part, -1, "no "+name)
	}
	for i := 0; i < len(body); i++ {
		c := body[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/' || c == '=') {
			return nil, bad(s, part, at+i, name+" is not valid at "+byteAt(at+i)+": not a base64 character")
		}
	}
	padded := strings.HasSuffix(body, "=") || len(body)%4 == 0
	raw, off := decodeB64Raw(body, padded)
	if off >= 0 {
		// off is the first byte that cannot be decoded (misplaced
		// padding, a length of 4n+1), as encoding/base64 reports it.
		off = min(off, len(body)-1)
		return nil, bad(s, part, at+off, name+" is not valid at "+byteAt(at+off)+": misplaced padding or a length base64 cannot have")
	}
	return raw, nil
}

// parsePBKDF2 reads pw-pbkdf2's ITER$SALT$DK, SALT and DK in adapted
// base64 ('.' for '+', no padding). Standard '+' and padding are accepted
// too, as pw-pbkdf2's own decoder does. at is the offset of body in the
// record.
func parsePBKDF2(s Scheme, body string, at int) (*Record, error) {
	parts := strings.Split(body, "$")
	if len(parts) != 3 {
		return nil, bad(s, PartRecord, -1, "want ITERATIONS$SALT$DIGEST, got "+strconv.Itoa(len(parts))+" '$'-separated fields")
	}
	it := parts[0]
	if it == "" || len(it) > 9 {
		return nil, bad(s, PartIterations, -1, "iterations field is "+strconv.Itoa(len(it))+" bytes, want 1 to 9 digits")
	}
	iter := 0
	for i := 0; i < len(it); i++ {
		if it[i] < '0' || it[i] > '9' {
			return nil, bad(s, PartIterations, at+i, "iterations field is not a number: "+byteAt(at+i)+" is not a digit")
		}
		iter = iter*10 + int(it[i]-'0')
	}
	if iter < 1 || iter > MaxIterations {
		return nil, bad(s, PartIterations, -1, iterationsRange(iter))
	}
	saltAt := at + len(it) + 1
	salt, err := decodeAB64(s, PartSalt, "salt", parts[1], saltAt)
	if err != nil {
		return nil, err
	}
	if len(salt) == 0 || len(salt) > MaxSaltLen {
		return nil, bad(s, PartSalt, -1, "salt is "+strconv.Itoa(len(salt))+" bytes, want 1.."+strconv.Itoa(MaxSaltLen))
	}
	dk, err := decodeAB64(s, PartDigest, "digest", parts[2], saltAt+len(parts[1])+1)
	if err != nil {
		return nil, err
	}
	if n := schemes[s].alg.size(); len(dk) != n {
		return nil, bad(s, PartDigest, -1, "digest is "+strconv.Itoa(len(dk))+" bytes, want "+strconv.Itoa(n))
	}
	return &Record{scheme: s, iter: iter, salt: salt, digest: dk}, nil
}

// decodeAB64 decodes a field of adapted base64; at is its offset in the
// record.
func decodeAB64(s Scheme, part, name, f string, at int) ([]byte, *Error) {
	t := strings.TrimRight(f, "=")
	if t == "" {
		return nil, bad(s, part, -1, name+" field is empty")
	}
	if i := strings.IndexByte(t, '='); i >= 0 {
		return nil, bad(s, part, at+i, name+" field has padding inside it, at "+byteAt(at+i))
	}
	return decodeB64(s, part, name+" field", strings.ReplaceAll(t, ".", "+"), at)
}

// parseHex reads the hex digits of sha1:HEX or md5:HEX; at is their offset
// in the record.
func parseHex(s Scheme, body string, at int) (*Record, error) {
	n := schemes[s].alg.size()
	if len(body) != 2*n {
		return nil, bad(s, PartDigest, -1, "want "+strconv.Itoa(2*n)+" hex digits, got "+strconv.Itoa(len(body)))
	}
	for i := 0; i < len(body); i++ {
		if _, ok := fromHexChar(body[i]); !ok {
			return nil, bad(s, PartDigest, at+i, "digest is not hexadecimal: "+byteAt(at+i)+" is not a hex digit")
		}
	}
	d, _ := DecodeHex(body)
	return &Record{scheme: s, digest: d}, nil
}

// iterationsRange is the message for an iteration count out of range.
func iterationsRange(n int) string {
	return "iteration count " + strconv.Itoa(n) + " outside 1.." + strconv.Itoa(MaxIterations) +
		" (tollgate's cap on the work of one verification; docs/credentials.md)"
}

// Verify reports whether secret is the credential r stores, with r's own
// algorithm (no FIPS rule). The digest comparison is constant-time.
func (r *Record) Verify(secret string) bool {
	ok, _ := r.verify(secret, nil)
	return ok
}

// VerifyInterrupt is Verify with stop polled during PBKDF2 (every 1,024
// iterations, as Options.Interrupt is): when it returns true the work
// stops and the error is ErrInterrupted.
func (r *Record) VerifyInterrupt(secret string, stop func() bool) (bool, error) {
	return r.verify(secret, stop)
}

// verify is Verify with an interrupt for PBKDF2; its error is
// ErrInterrupted.
func (r *Record) verify(secret string, stop func() bool) (bool, error) {
	si := &schemes[r.scheme]
	var out [64]byte
	var got []byte
	if si.form == formPBKDF2 {
		dk, err := pbkdf2Key(si.alg, secret, r.salt, r.iter, len(r.digest), stop)
		if err != nil {
			return false, err
		}
		got = dk
	} else {
		got = sum(si.alg, &out, secret, r.salt)
	}
	ok := subtle.ConstantTimeCompare(got, r.digest) == 1
	clear(out[:])
	clear(got)
	return ok, nil
}

// sum hashes secret || salt into out. The concatenation is built on the
// stack for usual sizes, so a verification does not allocate, and cleared.
// The hash functions are the standard library's, or internal/digest's
// under the build tag tollgate_small (hash_std.go, hash_small.go).
func sum(a algo, out *[64]byte, secret string, salt []byte) []byte {
	var buf [256]byte
	b := append(buf[:0], secret...)
	b = append(b, salt...)
	n := hashInto(a, out, b)
	clear(b)
	return out[:n]
}

// pbkdf2Key is PBKDF2 (RFC 8018 section 5.2) with HMAC over a's hash, as
// crypto/pbkdf2 computes it (a test holds the two equal), written out
// (digest.PBKDF2) so that a long derivation can be stopped: stop, when
// set, is polled every interruptEvery iterations, and true abandons the
// work (ErrInterrupted).
func pbkdf2Key(a algo, secret string, salt []byte, iter, n int, stop func() bool) ([]byte, error) {
	dk, ok := digest.PBKDF2(newHMAC(a, []byte(secret)), salt, iter, n, interruptEvery, stop)
	if !ok {
		return nil, ErrInterrupted
	}
	return dk, nil
}

// Options are the verifier's settings.
type Options struct {
	// FIPS applies Unity Connection's FIPS mode: only the SHA family
	// verifies; an MD5 record is reported FIPSLegacyHash, never Mismatch,
	// so the administrator knows the credential must be reset.
	FIPS bool
	// Target is the scheme records should be in. A verified record in
	// another scheme (or a PBKDF2 record with fewer than Iterations) gets
	// rehash advice. SchemeNone advises only legacy MD5 records, to
	// DefaultTarget.
	Target Scheme
	// Iterations is the PBKDF2 count new records get (MakeWith, and the
	// rehash a verification advises); 0 means DefaultIterations.
	Iterations int
	// Interrupt, when set, is polled during PBKDF2 (every 1,024
	// iterations); when it returns true the work stops: Check answers
	// Interrupted and MakeWith ErrInterrupted. The package reads no clock:
	// a caller with a deadline passes a function that checks it.
	Interrupt func() bool
}

func (o *Options) iterations() int {
	if o.Iterations == 0 {
		return DefaultIterations
	}
	return o.Iterations
}

// Result is the outcome of a verification. It never holds the secret.
type Result struct {
	Verified bool
	Reason   Reason
	// Scheme is the record's scheme (SchemeNone when it was not recognised).
	Scheme Scheme
	// Rehash advises the caller to store a fresh record in RehashTo, made
	// from the secret that just verified (Make with a new salt).
	Rehash   bool
	RehashTo Scheme
	// Err says what is wrong with a record that did not parse (Reason
	// Malformed or UnknownScheme), and where; nil otherwise.
	Err *Error
}

// Verify parses record and checks secret against it under o.
func Verify(record, secret string, o Options) Result {
	r, err := Parse(record)
	if err != nil {
		e := err.(*Error)
		return Result{Reason: e.Reason, Scheme: e.Scheme, Err: e}
	}
	return r.Check(secret, o)
}

// Check verifies secret against r under o.
func (r *Record) Check(secret string, o Options) Result {
	res := Result{Scheme: r.scheme}
	if o.FIPS && !r.scheme.FIPS() {
		// Unity Connection in FIPS mode hashes every PIN with SHA-1 and
		// compares; an MD5 record can never match, so it is not even tried.
		res.Reason = FIPSLegacyHash
		return res
	}
	ok, err := r.verify(secret, o.Interrupt)
	if err != nil {
		res.Reason = Interrupted
		return res
	}
	if !ok {
		res.Reason = Mismatch
		return res
	}
	res.Verified, res.Reason = true, OK
	target := o.Target
	if !target.valid() {
		if r.scheme.FIPS() {
			return res
		}
		target = DefaultTarget
	}
	if r.scheme != target || schemes[r.scheme].form == formPBKDF2 && r.iter < o.iterations() {
		res.Rehash, res.RehashTo = true, target
	}
	return res
}

// Matches reports whether secret verifies against record outside FIPS mode,
// with any supported scheme; a record that does not parse never matches.
// This is the history rule's test (reused).
func Matches(record, secret string) bool {
	ok, _ := MatchesInterrupt(record, secret, nil)
	return ok
}

// MatchesInterrupt is Matches with an interrupt polled during PBKDF2 (see
// Options.Interrupt); its error is ErrInterrupted.
func MatchesInterrupt(record, secret string, stop func() bool) (bool, error) {
	r, err := Parse(record)
	if err != nil {
		return false, nil
	}
	return r.verify(secret, stop)
}

// Make returns a record of scheme s for secret, with the caller's salt (the
// package reads no randomness). Unsalted schemes take no salt. Salted
// RFC 2307 schemes take 1 to MaxSaltLen bytes; slappasswd uses SaltLen().
// PBKDF2 takes exactly 16 bytes, the only length pw-pbkdf2 verifies, and
// DefaultIterations.
func Make(s Scheme, secret string, salt []byte) (string, error) {
	return MakeWith(s, secret, salt, Options{})
}

// MakeIterations is Make with a PBKDF2 iteration count (1..MaxIterations);
// other schemes ignore it.
func MakeIterations(s Scheme, secret string, salt []byte, iterations int) (string, error) {
	if iterations == 0 {
		iterations = -1 // not the default: an explicit count out of range
	}
	return MakeWith(s, secret, salt, Options{Iterations: iterations})
}

// MakeWith is Make with o's Iterations (0 for DefaultIterations;
// 1..MaxIterations) and Interrupt; the other fields of o do not apply.
func MakeWith(s Scheme, secret string, salt []byte, o Options) (string, error) {
	if !s.valid() {
		return "", &Error{Reason: UnknownScheme, Offset: -1, Msg: "no such scheme"}
	}
	si := &schemes[s]
	switch {
	case !si.salted && len(salt) != 0:
		return "", malformed(s, "this scheme takes no salt")
	case si.form == formPBKDF2 && len(salt) != si.saltLen:
		return "", malformed(s, "salt is "+strconv.Itoa(len(salt))+" bytes, want "+strconv.Itoa(si.saltLen)+" (pw-pbkdf2 verifies no other length)")
	case si.salted && (len(salt) == 0 || len(salt) > MaxSaltLen):
		return "", malformed(s, "salt is "+strconv.Itoa(len(salt))+" bytes, want 1.."+strconv.Itoa(MaxSaltLen))
	}
	var out [64]byte
	defer clear(out[:])
	switch si.form {
	case formHex:
		return string(appendHex([]byte(si.name), sum(si.alg, &out, secret, nil))), nil
	case formPBKDF2:
		iterations := o.iterations()
		if iterations < 1 || iterations > MaxIterations {
			return "", malformed(s, iterationsRange(iterations))
		}
		dk, err := pbkdf2Key(si.alg, secret, salt, iterations, si.alg.size(), o.Interrupt)
		if err != nil {
			return "", err
		}
		rec := si.name + strconv.Itoa(iterations) + "$" + ab64(salt) + "$" + ab64(dk)
		clear(dk)
		return rec, nil
	}
	d := sum(si.alg, &out, secret, salt)
	raw := make([]byte, 0, len(d)+len(salt))
	raw = append(append(raw, d...), salt...)
	return si.name + encodeB64(raw, true), nil
}

// ab64 is pw-pbkdf2's adapted base64: '.' for '+', no padding.
func ab64(b []byte) string {
	return strings.ReplaceAll(encodeB64(b, false), "+", ".")
}
