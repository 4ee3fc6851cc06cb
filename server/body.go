package server

import (
	"bytes"
	"sort"
	"strconv"

	"github.com/tollgate/tollgate/api"
	"github.com/tollgate/tollgate/internal/jsonx"
)

// A request body reaches the engine as the client sent it. The service
// reads it once with the api's own strict reader (jsonx: well-formed, each
// key once at every depth, nothing after the object) to find the members
// it completes — the default policy or tables, a dial's caller, a sign-in
// event's time — and then splices its text into the body at those
// offsets. It never decodes the body into a Go map and encodes it again:
// that collapsed a duplicated key to its last value
// ({"pin":"1","pin":"739164","policy":null} was checked as 739164, while a
// proxy in front reads the first), and would replace bytes the api must
// see (a secret that is not valid UTF-8) before the api saw them.

// member is one member of a JSON object, by offsets into the text it was
// read from: key is the offset of the key's opening quote, val and end
// bound the value.
type member struct {
	name          string
	key, val, end int
}

// object is a JSON object read by readObject: its members in order and
// the offset of its opening brace (-1 when the text is not an object).
// bad is why readObject refused an object: it is malformed inside, gives
// a key twice or has data after it.
type object struct {
	open    int
	members []member
	bad     *api.Error
}

// get returns the member named name.
func (o *object) get(name string) (member, bool) {
	for _, m := range o.members {
		if m.name == name {
			return m, true
		}
	}
	return member{}, false
}

// readObject reads data as one JSON object, strictly, and returns its
// members; what says what the object is, for errors ("the request body").
// An error has the api's code and wording, as the engine would answer; it
// is also the returned object's bad, whose open is -1 when data is not an
// object at all.
func readObject(data []byte, what string) (object, *api.Error) {
	o, e := readMembers(data, what)
	o.bad = e
	return o, e
}

func readMembers(data []byte, what string) (object, *api.Error) {
	d := jsonx.NewDecoder(data)
	switch k := d.Kind(); k {
	case jsonx.Object:
	case jsonx.Invalid: // Object names the syntax error
		return object{open: -1}, jsonError(d.Object(func(string) error { return nil }))
	default:
		return object{open: -1}, &api.Error{Code: api.ErrBadRequest, Message: what + " must be a JSON object, not " + k.String()}
	}
	o := object{open: d.Offset()}
	prev := o.open + 1 // the key is the first quote after the brace or the previous value
	err := d.Object(func(name string) error {
		m := member{name: name, key: prev + bytes.IndexByte(data[prev:], '"'), val: d.Offset()}
		if _, err := d.Raw(); err != nil {
			return err
		}
		m.end = d.Offset()
		prev = m.end
		o.members = append(o.members, m)
		return nil
	})
	if err != nil {
		return object{}, jsonError(err)
	}
	if d.End() != nil {
		return object{}, &api.Error{Code: api.ErrBadRequest, Message: "trailing data after " + what + " at byte " + strconv.Itoa(d.Offset())}
	}
	return o, nil
}

// jsonError turns a jsonx error into the api's error, as api does.
func jsonError(err error) *api.Error {
	je, ok := err.(*jsonx.Error)
	if !ok {
		return &api.Error{Code: api.ErrBadRequest, Message: err.Error()}
	}
	if je.Syntax {
		return &api.Error{Code: api.ErrBadRequest, Field: je.Path, Message: je.Error()}
	}
	return &api.Error{Code: api.ErrBadRequest, Field: je.Path, Message: je.Msg}
}

// isNull reports whether m's value is null.
func (m member) isNull(data []byte) bool { return string(data[m.val:m.end]) == "null" }

// stringValue reads m's value as a JSON string; ok is false for any other
// kind of value.
func (m member) stringValue(data []byte) (string, bool) {
	d := jsonx.NewDecoder(data[m.val:m.end])
	if d.Kind() != jsonx.String {
		return "", false
	}
	s, err := d.String()
	return s, err == nil
}

// edit replaces data[at:end] with text; at == end inserts.
type edit struct {
	at, end int
	text    []byte
}

// splice applies edits to data, which it does not change. Edits must not
// overlap; insertions at one offset keep their order.
func splice(data []byte, edits []edit) []byte {
	if len(edits) == 0 {
		return data
	}
	// By offset; at one offset, insertions before the replacement that
	// starts there.
	sort.SliceStable(edits, func(i, j int) bool {
		if edits[i].at != edits[j].at {
			return edits[i].at < edits[j].at
		}
		return edits[i].end-edits[i].at < edits[j].end-edits[j].at
	})
	n := len(data)
	for _, e := range edits {
		n += len(e.text) - (e.end - e.at)
	}
	out := make([]byte, 0, n)
	pos := 0
	for _, e := range edits {
		out = append(out, data[pos:e.at]...)
		out = append(out, e.text...)
		pos = e.end
	}
	return append(out, data[pos:]...)
}

// setMember is the edit that gives o the member name with the JSON value
// value: its value replaced when o has it, else inserted as the first
// member.
func (o *object) setMember(name string, value []byte) edit {
	if m, ok := o.get(name); ok {
		return edit{at: m.val, end: m.end, text: value}
	}
	return o.insert(name, value)
}

// insert is the edit that adds "name":value as o's first member; o must
// not have one named name.
func (o *object) insert(name string, value []byte) edit {
	text := api.AppendString(nil, name)
	text = append(text, ':')
	text = append(text, value...)
	if len(o.members) > 0 {
		text = append(text, ',')
	}
	return edit{at: o.open + 1, end: o.open + 1, text: text}
}

// replaceMember is the edit that replaces member m, key and value, with
// "name":value.
func replaceMember(m member, name string, value []byte) edit {
	text := api.AppendString(nil, name)
	text = append(text, ':')
	text = append(text, value...)
	return edit{at: m.key, end: m.end, text: text}
}

// defaultEdit is the edit that gives a request the service's default for
// key (a handle, or a document on an engine without the load ops) when
// it leaves key out or sets it to null; nil when the request names its
// own, or the service has no default.
func defaultEdit(body []byte, o *object, key string, ref []byte) []edit {
	if len(ref) == 0 {
		return nil
	}
	if m, ok := o.get(key); ok && !m.isNull(body) {
		return nil
	}
	return []edit{o.setMember(key, ref)}
}
