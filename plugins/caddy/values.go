package tollgatecaddy

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/tollgate/tollgate/api"
	"github.com/tollgate/tollgate/internal/jsonx"
)

// Where the upstream reads a field from, the module checks it. An
// upstream in Go reads a form field with r.FormValue, which takes the body
// and then the URL query; it reads JSON with encoding/json, which matches
// a struct's field names case-insensitively (NEW_PIN, New_Pin, and with
// Unicode folding new_paſſword, fill a field tagged new_password) and
// keeps the last of keys given twice. Other frameworks merge the query
// into the body, or match form names case-insensitively too. So a field
// is looked for in the URL query and in the body, under every name that
// folds to its own (strings.EqualFold, encoding/json's rule), and a
// request that names it in two places — query and body, two keys that
// fold alike, a key twice — is ambiguous and refused: the module cannot
// know which one the upstream takes. A file part under a checked name is
// refused too, and so is a form body that is a JSON object, which an
// upstream decoding JSON whatever the Content-Type would read.

// values are a request's fields: its URL query, and its body as a form
// or as a JSON object.
type values struct {
	query url.Values
	form  url.Values // an urlencoded or multipart body's values
	files []string   // a multipart body's file part names
	obj   *node      // a JSON body
}

// node is a JSON value with its object's members in order (duplicates
// kept, to be refused where they matter).
type node struct {
	kind    jsonx.Kind
	text    string // a string's value, a number's digits
	members []nodeMember
	elems   []*node
}

type nodeMember struct {
	key string
	val *node
}

// errAmbiguous is wrapped by the errors of a field named more than once.
var errAmbiguous = errors.New("ambiguous")

func ambiguous(name, how string) error {
	return fmt.Errorf("%w: field %q is %s; the upstream could read either, so send it once, in one place, in one spelling", errAmbiguous, name, how)
}

// one returns field name as a single string; ok is false when the
// request does not carry it.
func (v values) one(name string) (string, bool, error) {
	vs, ok, err := v.lookup(name, false)
	if err != nil || !ok {
		return "", false, err
	}
	return vs[0], true, nil
}

// list returns field name as a list: a repeated form field, a JSON array
// of strings, or one string.
func (v values) list(name string) ([]string, error) {
	vs, _, err := v.lookup(name, true)
	return vs, err
}

// lookup finds field name in the query and the body. list allows a form
// field given more than once.
func (v values) lookup(name string, list bool) ([]string, bool, error) {
	if name == "" {
		return nil, false, nil
	}
	q, inQuery, err := formLookup(v.query, name, list, "in the URL query")
	if err != nil {
		return nil, false, err
	}
	var b []string
	var inBody bool
	switch {
	case v.obj != nil:
		b, inBody, err = v.obj.lookup(name, list)
	case v.form != nil:
		b, inBody, err = formLookup(v.form, name, list, "in the body")
		for _, f := range v.files {
			if err == nil && strings.EqualFold(f, name) {
				err = ambiguous(name, "sent as a file part")
			}
		}
	}
	switch {
	case err != nil:
		return nil, false, err
	case inQuery && inBody:
		return nil, false, ambiguous(name, "given both in the URL query and in the body")
	case inQuery:
		return q, true, nil
	}
	return b, inBody, nil
}

// formLookup finds name among a form's keys, case-insensitively.
func formLookup(form url.Values, name string, list bool, where string) ([]string, bool, error) {
	var found []string
	key := ""
	for k, vs := range form {
		if !strings.EqualFold(k, name) || len(vs) == 0 {
			continue
		}
		if found != nil {
			return nil, false, ambiguous(name, "given under two keys that differ only in case "+where)
		}
		found, key = vs, k
	}
	if found == nil {
		return nil, false, nil
	}
	if len(found) > 1 && !list {
		return nil, false, fmt.Errorf("%w: field %q is given %d times %s", errAmbiguous, key, len(found), where)
	}
	return found, true, nil
}

// lookup finds a dotted path ("user.new_pin") in a JSON object, each step
// case-insensitively; the whole dotted name as one key counts too.
func (n *node) lookup(path string, list bool) ([]string, bool, error) {
	x, ok, err := n.find(path, path)
	if err == nil && strings.Contains(path, ".") {
		flat, flatOK, ferr := n.member(path, path)
		switch {
		case ferr != nil:
			err = ferr
		case flatOK && ok:
			err = ambiguous(path, "given both as a nested field and as a key with dots")
		case flatOK:
			x, ok = flat, true
		}
	}
	if err != nil || !ok || x.kind == jsonx.Null {
		return nil, false, err
	}
	switch x.kind {
	case jsonx.String, jsonx.Number: // a JSON number is checked as its digits
		return []string{x.text}, true, nil
	case jsonx.Array:
		if !list {
			break
		}
		out := make([]string, 0, len(x.elems))
		for _, e := range x.elems {
			if e.kind != jsonx.String {
				return nil, false, fmt.Errorf("field %q must be a list of strings", path)
			}
			out = append(out, e.text)
		}
		return out, true, nil
	}
	return nil, false, fmt.Errorf("field %q must be a string", path)
}

func (n *node) find(path, full string) (*node, bool, error) {
	seg, rest, nested := strings.Cut(path, ".")
	x, ok, err := n.member(seg, full)
	if err != nil || !ok || !nested {
		return x, ok, err
	}
	if x.kind != jsonx.Object {
		return nil, false, nil
	}
	return x.find(rest, full)
}

// member finds the member of object n whose key folds to name.
func (n *node) member(name, full string) (*node, bool, error) {
	var found *node
	for _, m := range n.members {
		if !strings.EqualFold(m.key, name) {
			continue
		}
		if found != nil {
			return nil, false, ambiguous(full, "given under two keys that differ only in case")
		}
		found = m.val
	}
	return found, found != nil, nil
}

// parseError is a request whose fields cannot be read: its answer.
type parseError struct {
	status int
	code   api.ErrorCode
	msg    string
}

// parseValues reads the URL query and the fields of a JSON, urlencoded or
// multipart body (none when body is nil). A body of any other type cannot
// be checked, so it is refused rather than passed through unchecked.
func parseValues(r *http.Request, body []byte, maxBody int64) (values, *parseError) {
	var v values
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return v, &parseError{http.StatusBadRequest, api.ErrBadRequest, "malformed URL query"}
	}
	v.query = q
	if body == nil {
		return v, nil
	}
	contentType := r.Header.Get("Content-Type")
	mt, params, _ := mime.ParseMediaType(contentType)
	switch {
	case mt == "application/json" || strings.HasSuffix(mt, "+json"):
		obj, perr := wire.decodeBody(body)
		if perr != nil {
			return v, perr
		}
		v.obj = obj
	case mt == "application/x-www-form-urlencoded":
		if t := bytes.TrimSpace(body); len(t) > 0 && t[0] == '{' && wire.isJSONObject(t) {
			return v, &parseError{http.StatusBadRequest, api.ErrBadRequest, "the form body is a JSON object; send JSON as application/json"}
		}
		f, err := url.ParseQuery(string(body))
		if err != nil {
			return v, &parseError{http.StatusBadRequest, api.ErrBadRequest, "malformed form body"}
		}
		v.form = f
	case mt == "multipart/form-data":
		req := &http.Request{Method: http.MethodPost, Header: http.Header{"Content-Type": {contentType}},
			Body: io.NopCloser(bytes.NewReader(body))}
		if params["boundary"] == "" || req.ParseMultipartForm(maxBody) != nil {
			return v, &parseError{http.StatusBadRequest, api.ErrBadRequest, "malformed multipart body"}
		}
		defer req.MultipartForm.RemoveAll()
		v.form = url.Values(req.MultipartForm.Value)
		for name := range req.MultipartForm.File {
			v.files = append(v.files, name)
		}
	default:
		return v, &parseError{http.StatusUnsupportedMediaType, errUnsupportedMediaType,
			"tollgate checks JSON and form bodies; this Content-Type cannot be checked"}
	}
	return v, nil
}
