package tollgatecaddy

import (
	"fmt"
	"net/http"
	"os"
	"strings"

	"github.com/tollgate/tollgate/api"
	"github.com/tollgate/tollgate/internal/jsonx"
)

// This file is the only place the handler reads or writes JSON
// (codec_test.go holds the other files to that). Per request that is at
// most one decode — a JSON body, read once into the fields looked up in it
// (values.go) — and one encode: the 422 refusal or the error answered
// instead of passing the request on, written with the api codec. The
// checks between are api values handed to the engine; on the native
// engine nothing else reads or writes JSON, on the wasm engine each call
// into the module adds its own encode and decode (docs/abi.md).
//
// wire is a variable so that a test can count the decodes and encodes of
// each request through a real Caddy.
var wire codec = apiCodec{}

type codec interface {
	// decodeBody reads a JSON body: an object, with its members in order
	// and keys given twice kept (values.go refuses them where they matter).
	decodeBody(body []byte) (*node, *parseError)
	// isJSONObject tells whether a form body that starts with '{' is in
	// fact a JSON object, which an upstream that decodes JSON whatever the
	// Content-Type reads.
	isJSONObject(body []byte) bool
	appendRefusal(b []byte, r *api.Refusal) []byte
	appendError(b []byte, e *api.Error) []byte
}

type apiCodec struct{}

func (apiCodec) decodeBody(body []byte) (*node, *parseError) {
	d := jsonx.NewDecoder(body)
	if d.Kind() != jsonx.Object {
		return nil, &parseError{http.StatusBadRequest, api.ErrBadRequest, "the body is not a JSON object"}
	}
	obj, err := readNode(d)
	if err == nil {
		err = d.End()
	}
	if err != nil {
		if je, ok := err.(*jsonx.Error); ok && je.Msg == "appears more than once; give each field once" {
			return nil, &parseError{http.StatusBadRequest, api.ErrBadRequest, "the body gives a key twice in one object (" + je.Path + "); the upstream could read either"}
		}
		return nil, &parseError{http.StatusBadRequest, api.ErrBadRequest, "the body is not a JSON object"}
	}
	return obj, nil
}

func (apiCodec) isJSONObject(body []byte) bool { return jsonx.Valid(body) }

func (apiCodec) appendRefusal(b []byte, r *api.Refusal) []byte { return api.Append(b, r) }

func (apiCodec) appendError(b []byte, e *api.Error) []byte { return api.AppendError(b, e) }

// readNode reads one JSON value (jsonx: strict syntax, depth bounded).
func readNode(d *jsonx.Decoder) (*node, error) {
	n := &node{kind: d.Kind()}
	var err error
	switch n.kind {
	case jsonx.Object: // a key given twice in one object is refused here
		err = d.Object(func(key string) error {
			v, err := readNode(d)
			n.members = append(n.members, nodeMember{key, v})
			return err
		})
	case jsonx.Array:
		err = d.Array(func(int) error {
			e, err := readNode(d)
			n.elems = append(n.elems, e)
			return err
		})
	case jsonx.String:
		n.text, err = d.String()
	case jsonx.Number:
		var raw []byte
		raw, err = d.Raw()
		n.text = string(raw)
	default:
		err = d.Skip()
	}
	return n, err
}

// readPolicy and readTables turn a Caddyfile policy or tables argument
// into a reference: a .json file's document (an object, read when it
// loads, or a name), else a built-in name. They run when the config is
// adapted, not per request.
func readPolicy(arg string) (api.PolicyRef, error) {
	var p api.PolicyRef
	b, isFile, err := readDocument(arg)
	switch {
	case err != nil:
		return p, err
	case !isFile:
		return api.Profile(arg), nil
	}
	if err := p.UnmarshalJSON(b); err != nil {
		return p, fmt.Errorf("%s: %w", arg, err)
	}
	return p, nil
}

func readTables(arg string) (api.TablesRef, error) {
	var t api.TablesRef
	b, isFile, err := readDocument(arg)
	switch {
	case err != nil:
		return t, err
	case !isFile:
		return api.BuiltinTables(arg), nil
	}
	if err := t.UnmarshalJSON(b); err != nil {
		return t, fmt.Errorf("%s: %w", arg, err)
	}
	return t, nil
}

// readDocument reads arg when it names a .json file.
func readDocument(arg string) (doc []byte, isFile bool, err error) {
	if !strings.HasSuffix(arg, ".json") {
		return nil, false, nil
	}
	b, err := os.ReadFile(arg)
	return b, true, err
}
