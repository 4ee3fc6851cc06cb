package server

import (
	"strconv"
	"strings"

	"github.com/tollgate/tollgate/api"
	"github.com/tollgate/tollgate/core"
	"github.com/tollgate/tollgate/internal/jsonx"
)

// Each request body is decoded once, strictly, into a typed request: the
// api's own request for pin, password, hash.verify and lint (api.Decode),
// and, for the two routes that take members only the service knows, a
// service request wrapping the api's, read here with the api's rules
// (jsonx, the reader the api's decoders use): each key once at every
// depth, no unknown field, nothing after the object, null as absent,
// errors naming the field's full path and never repeating a value. The
// service then fills in what the client left out (its default policy or
// tables, a caller's class of service, the event's time, the stored
// state) in Go, and calls the typed operation. Nothing is decoded into a
// map and encoded again: that once collapsed a duplicated key to its last
// value ({"pin":"1","pin":"739164","policy":null} was checked as 739164,
// while a proxy in front read the first).

// dialRequest is the body of POST /v1/dial: the api's dial request, and
// the caller (an extension) whose class of service the Directory gives.
type dialRequest struct {
	api.DialRequest
	caller    string
	hasCaller bool // "caller" given and not null ("" is a caller too)
}

// dialFields are the members of a dial body, as an unknown member's error
// lists them: the api's (api.DialRequest's json tags, in order) and caller.
var dialFields = []string{"tables", "table", "cos", "feature", "number", "caller"}

func (r *dialRequest) decode(data []byte) *api.Error {
	d := jsonx.NewDecoder(data)
	var hasNumber bool
	err := d.Object(func(key string) (err error) {
		switch key {
		case "tables":
			err = decodeRef(d, r.Tables.UnmarshalJSON)
		case "table":
			r.Table, err = optString(d)
		case "cos":
			r.COS, err = optString(d)
		case "feature":
			r.Feature, err = optString(d)
		case "number":
			if !d.Null() {
				hasNumber = true
				r.Number, err = d.String()
			}
		case "caller":
			if !d.Null() {
				r.hasCaller = true
				r.caller, err = d.String()
			}
		default:
			err = unknownField(d, key, dialFields)
		}
		return err
	})
	if e := finish(d, err); e != nil {
		return e
	}
	if !hasNumber {
		return &api.Error{Code: api.ErrBadRequest, Field: "number", Message: "required: the dialed number to check"}
	}
	return nil
}

// signinRequest is the body of POST /v1/signin/{user}: the api's sign-in
// request without its state (the service keeps it), with the event as a
// shorthand word or an api event object.
type signinRequest struct {
	api.SignInRequest
	word     string // the shorthand word, when the event is one
	isWord   bool
	hasEvent bool
	hasState bool
}

// signinFields are the members a sign-in body may have.
var signinFields = []string{"policy", "kind", "event"}

func (r *signinRequest) decode(data []byte) *api.Error {
	d := jsonx.NewDecoder(data)
	err := d.Object(func(key string) (err error) {
		switch key {
		case "policy":
			err = decodeRef(d, r.Policy.UnmarshalJSON)
		case "kind":
			r.Kind, err = optString(d)
		case "state":
			// Refused once the whole body is known to be well formed.
			r.hasState = true
			return d.Skip()
		case "event":
			return r.decodeEvent(d)
		default:
			err = unknownField(d, key, signinFields)
		}
		return err
	})
	if e := finish(d, err); e != nil {
		return e
	}
	switch {
	case r.hasState:
		return &api.Error{Code: api.ErrBadRequest, Field: "state", Message: "the service keeps the sign-in state; leave state out"}
	case !r.hasEvent:
		return &api.Error{Code: api.ErrBadRequest, Field: "event", Message: "event is required: success, failure, unlock, signout, check or an event object"}
	}
	return nil
}

// decodeEvent reads the event member: a shorthand word, or an event
// object read by the api's decoder (its errors get the "event." prefix).
func (r *signinRequest) decodeEvent(d *jsonx.Decoder) error {
	switch d.Kind() {
	case jsonx.Null:
		d.Null()
		return nil
	case jsonx.String:
		r.hasEvent, r.isWord = true, true
		var err error
		r.word, err = d.String()
		return err
	case jsonx.Object:
		r.hasEvent = true
		raw, err := d.Raw() // its syntax and keys, checked with their full paths
		if err != nil {
			return err
		}
		if err := api.Decode(raw, &r.Event); err != nil {
			e := asError(err)
			if e.Field == "" {
				e.Field = "event"
			} else {
				e.Field = "event." + e.Field
			}
			return e
		}
		return nil
	}
	if err := d.Skip(); err != nil {
		return err
	}
	return &api.Error{Code: api.ErrBadRequest, Field: "event", Message: "event must be a word or an object"}
}

// decodeRef reads a policy or tables reference with the api's own reader
// (the reference's UnmarshalJSON), placing its errors at the member.
func decodeRef(d *jsonx.Decoder, unmarshal func([]byte) error) error {
	path := d.Path()
	switch d.Kind() {
	case jsonx.Null, jsonx.String, jsonx.Number, jsonx.Object:
	default: // as the api answers, before reading the value
		return &api.Error{Code: api.ErrBadRequest, Field: path, Message: "want a " + path + " name, a handle or a " + path + " object"}
	}
	raw, err := d.Raw()
	if err != nil {
		return err
	}
	if err := unmarshal(raw); err != nil {
		e := asError(err)
		if e.Field == "" {
			e.Field = path
		} else {
			e.Field = path + "." + e.Field
		}
		return e
	}
	return nil
}

// optString reads a string member; null is "", as with the api.
func optString(d *jsonx.Decoder) (string, error) {
	if d.Null() {
		return "", nil
	}
	return d.String()
}

// finish turns a decoding error into the api's error, and checks that
// nothing follows the request object, as api.Decode does.
func finish(d *jsonx.Decoder, err error) *api.Error {
	if err != nil {
		return asError(err)
	}
	if d.End() != nil {
		return &api.Error{Code: api.ErrBadRequest, Message: "trailing data after the request object at byte " + strconv.Itoa(d.Offset())}
	}
	return nil
}

// asError is err as the api reports a faulty request: an *api.Error as
// it is, a jsonx error with its path (and, for a syntax error, the byte
// offset in its message).
func asError(err error) *api.Error {
	switch e := err.(type) {
	case *api.Error:
		return e
	case *jsonx.Error:
		if e.Syntax {
			return &api.Error{Code: api.ErrBadRequest, Field: e.Path, Message: e.Error()}
		}
		return &api.Error{Code: api.ErrBadRequest, Field: e.Path, Message: e.Msg}
	}
	return &api.Error{Code: api.ErrBadRequest, Message: err.Error()}
}

// unknownField is the api's error for a member that is not one of known:
// the key may be anything the client typed (a secret, a megabyte of
// junk), so it is named only when it is a near miss of a known name and
// looks like a field name; otherwise the path shows its length.
func unknownField(d *jsonx.Decoder, key string, known []string) error {
	msg := "unknown field"
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
		d.HideKey()
	}
	return &api.Error{Code: api.ErrBadRequest, Field: d.Path(), Message: msg + "; known fields here: " + strings.Join(known, ", ")}
}
