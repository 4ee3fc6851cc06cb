package api

import (
	"strconv"
	"strings"

	"github.com/tollgate/tollgate/core"
	"github.com/tollgate/tollgate/internal/jsonx"
)

// Requests are read with jsonx and one hand-written decoder per type, not
// encoding/json: this package is linked into the WebAssembly module, where
// encoding/json (with the reflect and fmt it keeps alive) would cost a
// quarter of the size budget and its reflective decoding most of a call.
// The decoders follow the structs' json tags; decode_test.go holds each
// one to its struct, so a field added to a struct and not to its decoder
// fails the tests.
//
// The rules are those of encoding/json with DisallowUnknownFields, made
// stricter: keys match exactly (not case-insensitively), a key may appear
// once, and nothing but white space may follow the request object. As with
// encoding/json, null leaves a field at its zero value; a required field
// (the value an operation checks: pin, password, number, record and
// secret, event with its type and at) must be present and not null.

// Message is a request or an answer of this package: a type with one
// JSON form, which Append writes and Decode reads.
type Message interface {
	appendJSON(b []byte) []byte
	decodeJSON(d *jsonx.Decoder) error
}

// Append appends m's JSON form to b.
func Append(b []byte, m Message) []byte { return m.appendJSON(b) }

// Decode reads data into m strictly: an unknown field, a field given
// twice, a value of the wrong type or trailing data is an ErrBadRequest
// *Error naming the field's full path. No message repeats a string value
// from data: one may be a secret.
func Decode(data []byte, m Message) error { return decodeRequest(data, m) }

// DecodeRequest is Decode.
func DecodeRequest(data []byte, m Message) error { return decodeRequest(data, m) }

// decodeRequest reads data into v strictly and reports a faulty request as
// an ErrBadRequest *Error naming the field's full path. No message repeats
// a string value from the request: one may be a secret.
func decodeRequest(data []byte, v interface{ decodeJSON(*jsonx.Decoder) error }) error {
	d := jsonx.NewDecoder(data)
	err := v.decodeJSON(d)
	// A missing field is found once the object has been read: what
	// follows the object is the graver fault, and is reported first.
	if e, ok := err.(*Error); err != nil && !(ok && strings.HasPrefix(e.Message, "required: ")) {
		return requestError(err)
	}
	if d.End() != nil {
		return &Error{Code: ErrBadRequest, Message: "trailing data after the request object at byte " + strconv.Itoa(d.Offset())}
	}
	return err
}

// requestError turns a decoding error into an *Error.
func requestError(err error) *Error {
	// Type assertions, not errors.As (which links reflection into the
	// module): these errors are never wrapped.
	if e, ok := err.(*Error); ok {
		return e
	}
	if je, ok := err.(*jsonx.Error); ok {
		if je.Syntax {
			return &Error{Code: ErrBadRequest, Field: je.Path, Message: je.Error()}
		}
		return &Error{Code: ErrBadRequest, Field: je.Path, Message: je.Msg}
	}
	return &Error{Code: ErrBadRequest, Message: err.Error()}
}

// unknownField is the error for a key that is not one of known; the
// decoder's path already ends with it. The key may be anything the sender
// typed, a secret or a megabyte of junk, so it is quoted only when it is
// a near miss of a known name and looks like a field name (jsonx.SafeKey);
// otherwise the error names its length (the path places it). A known name
// in another case is a near miss too, so "PIN" gets "did you mean pin?".
func unknownField(d *jsonx.Decoder, key string, known []string) error {
	msg := "unknown field"
	// Only near misses: an edit distance of at most 2, and at most half
	// the known name's length ("pn" is pin, "foo" is not dob).
	best, bestD := "", 3
	for _, k := range known {
		n := core.NameDistance(key, k)
		if jsonx.EqualFoldASCII(key, k) {
			n = 0
		}
		if n < bestD && 2*n <= len(k) {
			best, bestD = k, n
		}
	}
	if best != "" {
		msg += " (did you mean " + best + "?)"
	} else {
		d.HideKey() // the path names it "<N-byte key>"
	}
	return &Error{Code: ErrBadRequest, Field: d.Path(), Message: msg + "; known fields here: " + strings.Join(known, ", ")}
}

// missing is the error for a required field the request leaves out (or
// sets to null); its message starts "required: " (decodeRequest checks).
//
//go:noinline
func missing(field, msg string) error {
	return &Error{Code: ErrBadRequest, Field: field, Message: msg}
}

// requiredString reads a required string member and sets bit in seen
// unless it is null.
//
//go:noinline
func requiredString(d *jsonx.Decoder, seen *uint8, bit uint8) (string, error) {
	if d.Null() {
		return "", nil
	}
	*seen |= bit
	return d.String()
}

// requiredSecret is requiredString for a secret: refused when it is not
// valid Unicode text (readSecret).
func requiredSecret(d *jsonx.Decoder, seen *uint8, bit uint8) (string, error) {
	if d.Null() {
		return "", nil
	}
	*seen |= bit
	return d.Text()
}

// The readers below take null as the zero value, as encoding/json does.

func readString(d *jsonx.Decoder) (string, error) {
	if d.Null() {
		return "", nil
	}
	return d.String()
}

// readSecret reads a secret (a PIN, a password, an old or earlier one, a
// secret to hash): a string that must be valid Unicode as sent. Invalid
// UTF-8, or a lone surrogate escape, would otherwise become U+FFFD, and
// two different secrets one (issue 14, finding 6; docs/security.md).
func readSecret(d *jsonx.Decoder) (string, error) {
	if d.Null() {
		return "", nil
	}
	return d.Text()
}

// readSecrets is readStrings for a list of secrets.
func readSecrets(d *jsonx.Decoder) ([]string, error) {
	if d.Null() {
		return nil, nil
	}
	out := []string{}
	err := d.Array(func(int) error {
		s, err := d.Text()
		out = append(out, s)
		return err
	})
	return out, err
}

func readInt(d *jsonx.Decoder) (int, error) {
	if d.Null() {
		return 0, nil
	}
	return d.Int()
}

func readBool(d *jsonx.Decoder) (bool, error) {
	if d.Null() {
		return false, nil
	}
	return d.Bool()
}

// readStrings reads an array of strings; [] is an empty slice and null
// nil, as with encoding/json.
func readStrings(d *jsonx.Decoder) ([]string, error) {
	if d.Null() {
		return nil, nil
	}
	out := []string{}
	err := d.Array(func(int) error {
		s, err := d.String()
		out = append(out, s)
		return err
	})
	return out, err
}

// readStringPtr reads a string, or nil for null.
func readStringPtr(d *jsonx.Decoder) (*string, error) {
	if d.Null() {
		return nil, nil
	}
	s, err := d.String()
	if err != nil {
		return nil, err
	}
	return &s, nil
}

func readPolicy(d *jsonx.Decoder) (PolicyRef, error) {
	r, err := decodeRef(d, "policy")
	return PolicyRef{r}, err
}

func readTables(d *jsonx.Decoder) (TablesRef, error) {
	r, err := decodeRef(d, "tables")
	return TablesRef{r}, err
}

// Known fields of each request object, in the order of the structs; the
// tests check them against the json tags.
var (
	pinRequestFields      = []string{"policy", "pin", "context"}
	pinContextFields      = []string{"extensions", "first_name", "last_name", "dob", "year", "previous", "previous_records"}
	passwordRequestFields = []string{"policy", "password", "context"}
	passwordContextFields = []string{"alias", "extensions", "old", "previous", "previous_records"}
	dialRequestFields     = []string{"tables", "table", "cos", "feature", "number"}
	lintRequestFields     = []string{"tables"}
	hashVerifyFields      = []string{"record", "secret", "fips", "scheme", "salt", "iterations", "policy"}
	hashMakeFields        = []string{"scheme", "secret", "salt", "iterations", "policy"}
	signInRequestFields   = []string{"policy", "kind", "state", "event"}
	signInStateFields     = []string{"failures", "last_failure", "locked_at", "must_change", "changed_at", "last_signin", "inactive", "sessions"}
	signInEventFields     = []string{"type", "at", "ok", "interface", "by", "must_change"}
)

func (r *PINRequest) decodeJSON(d *jsonx.Decoder) error {
	var seen uint8
	err := d.Object(func(key string) (err error) {
		switch key {
		case "policy":
			r.Policy, err = readPolicy(d)
		case "pin":
			r.PIN, err = requiredSecret(d, &seen, 1)
		case "context":
			err = r.Context.decodeJSON(d)
		default:
			err = unknownField(d, key, pinRequestFields)
		}
		return err
	})
	if err == nil && seen == 0 {
		err = missing("pin", "required: the PIN to check")
	}
	return err
}

func (c *PINContext) decodeJSON(d *jsonx.Decoder) error {
	if d.Null() {
		return nil
	}
	return d.Object(func(key string) (err error) {
		switch key {
		case "extensions":
			c.Extensions, err = readStrings(d)
		case "first_name":
			c.FirstName, err = readString(d)
		case "last_name":
			c.LastName, err = readString(d)
		case "dob":
			c.DateOfBirth, err = readString(d)
		case "year":
			c.Year, err = readInt(d)
		case "previous":
			c.Previous, err = readSecrets(d)
		case "previous_records":
			c.PreviousRecords, err = readStrings(d)
		default:
			err = unknownField(d, key, pinContextFields)
		}
		return err
	})
}

func (r *PasswordRequest) decodeJSON(d *jsonx.Decoder) error {
	var seen uint8
	err := d.Object(func(key string) (err error) {
		switch key {
		case "policy":
			r.Policy, err = readPolicy(d)
		case "password":
			r.Password, err = requiredSecret(d, &seen, 1)
		case "context":
			err = r.Context.decodeJSON(d)
		default:
			err = unknownField(d, key, passwordRequestFields)
		}
		return err
	})
	if err == nil && seen == 0 {
		err = missing("password", "required: the password to check")
	}
	return err
}

func (c *PasswordContext) decodeJSON(d *jsonx.Decoder) error {
	if d.Null() {
		return nil
	}
	return d.Object(func(key string) (err error) {
		switch key {
		case "alias":
			c.Alias, err = readString(d)
		case "extensions":
			c.Extensions, err = readStrings(d)
		case "old":
			c.Old, err = readSecret(d)
		case "previous":
			c.Previous, err = readSecrets(d)
		case "previous_records":
			c.PreviousRecords, err = readStrings(d)
		default:
			err = unknownField(d, key, passwordContextFields)
		}
		return err
	})
}

func (r *DialRequest) decodeJSON(d *jsonx.Decoder) error {
	var seen uint8
	err := d.Object(func(key string) (err error) {
		switch key {
		case "tables":
			r.Tables, err = readTables(d)
		case "table":
			r.Table, err = readString(d)
		case "cos":
			r.COS, err = readString(d)
		case "feature":
			r.Feature, err = readString(d)
		case "number":
			r.Number, err = requiredString(d, &seen, 1)
		default:
			err = unknownField(d, key, dialRequestFields)
		}
		return err
	})
	if err == nil && seen == 0 {
		err = missing("number", "required: the dialed number to check")
	}
	return err
}

func (r *LintRequest) decodeJSON(d *jsonx.Decoder) error {
	return d.Object(func(key string) (err error) {
		switch key {
		case "tables":
			r.Tables, err = readTables(d)
		default:
			err = unknownField(d, key, lintRequestFields)
		}
		return err
	})
}

func (r *HashVerifyRequest) decodeJSON(d *jsonx.Decoder) error {
	var seen uint8
	err := d.Object(func(key string) (err error) {
		switch key {
		case "record":
			r.Record, err = requiredString(d, &seen, 1)
		case "secret":
			r.Secret, err = requiredSecret(d, &seen, 2)
		case "fips":
			r.FIPS, err = readBool(d)
		case "scheme":
			r.Scheme, err = readString(d)
		case "salt":
			r.Salt, err = readString(d)
		case "iterations":
			r.Iterations, err = readInt(d)
		case "policy":
			r.Policy, err = readPolicy(d)
		default:
			err = unknownField(d, key, hashVerifyFields)
		}
		return err
	})
	switch {
	case err != nil:
	case seen&1 == 0:
		err = missing("record", "required: the stored-credential record")
	case seen&2 == 0:
		err = missing("secret", "required: the secret to verify against the record")
	}
	return err
}

func (r *HashMakeRequest) decodeJSON(d *jsonx.Decoder) error {
	var seen uint8
	err := d.Object(func(key string) (err error) {
		switch key {
		case "scheme":
			r.Scheme, err = readString(d)
		case "secret":
			r.Secret, err = requiredSecret(d, &seen, 1)
		case "salt":
			r.Salt, err = readString(d)
		case "iterations":
			r.Iterations, err = readInt(d)
		case "policy":
			r.Policy, err = readPolicy(d)
		default:
			err = unknownField(d, key, hashMakeFields)
		}
		return err
	})
	if err == nil && seen == 0 {
		err = missing("secret", "required: the secret to make a record of")
	}
	return err
}

func (r *SignInRequest) decodeJSON(d *jsonx.Decoder) error {
	return d.Object(func(key string) (err error) {
		switch key {
		case "policy":
			r.Policy, err = readPolicy(d)
		case "kind":
			r.Kind, err = readString(d)
		case "state":
			err = r.State.decodeJSON(d)
		case "event":
			err = r.Event.decodeJSON(d)
		default:
			err = unknownField(d, key, signInRequestFields)
		}
		return err
	})
}

func (s *SignInState) decodeJSON(d *jsonx.Decoder) error {
	if d.Null() {
		return nil
	}
	return d.Object(func(key string) (err error) {
		switch key {
		case "failures":
			s.Failures, err = readInt(d)
		case "last_failure":
			s.LastFailure, err = readStringPtr(d)
		case "locked_at":
			s.LockedAt, err = readStringPtr(d)
		case "must_change":
			s.MustChange, err = readBool(d)
		case "changed_at":
			s.ChangedAt, err = readStringPtr(d)
		case "last_signin":
			s.LastSignIn, err = readStringPtr(d)
		case "inactive":
			s.Inactive, err = readBool(d)
		case "sessions":
			s.Sessions, err = readSessions(d)
		default:
			err = unknownField(d, key, signInStateFields)
		}
		return err
	})
}

// readSessions reads the per-interface session counts; which names are
// interfaces is SignInState.core's to check.
func readSessions(d *jsonx.Decoder) (map[string]int, error) {
	if d.Null() {
		return nil, nil
	}
	m := map[string]int{}
	err := d.Object(func(name string) error {
		n, err := readInt(d)
		m[name] = n
		return err
	})
	return m, err
}

func (e *SignInEvent) decodeJSON(d *jsonx.Decoder) error {
	if d.Null() {
		return nil
	}
	return d.Object(func(key string) (err error) {
		switch key {
		case "type":
			e.Type, err = readString(d)
		case "at":
			e.At, err = readString(d)
		case "ok":
			e.OK, err = readBool(d)
		case "interface":
			e.Interface, err = readString(d)
		case "by":
			e.By, err = readString(d)
		case "must_change":
			e.MustChange, err = readBool(d)
		default:
			err = unknownField(d, key, signInEventFields)
		}
		return err
	})
}
