package api

import (
	"bytes"
	"strconv"

	"github.com/tollgate/tollgate/internal/jsonx"
)

// Handle names a document (a policy or a tables set) loaded into a
// Session or an engine, so requests can refer to it without carrying it.
// On the wire it is a JSON number. Handles are never reused: a handle that
// was unloaded stays unknown.
type Handle uint32

// refKind says what a PolicyRef or TablesRef holds.
type refKind uint8

const (
	refDefault refKind = iota // nothing: the default profile or set
	refName                   // a built-in profile or set, by name
	refHandle                 // a loaded document, by handle
	refDoc                    // an inline JSON document
)

// PolicyRef is how a request names its policy: a built-in profile, a
// loaded policy's handle, or an inline policy document. The zero value is
// the default profile (cuc). On the wire it is a JSON string, number or
// object; absent or null is the zero value.
type PolicyRef struct{ ref }

// TablesRef is how a request names its restriction tables: a built-in
// set, a loaded set's handle, or an inline tables document. The zero value
// is the default set. On the wire it is a JSON string, number or object.
type TablesRef struct{ ref }

type ref struct {
	kind   refKind
	handle Handle
	name   string
	doc    []byte
}

// Profile names a built-in policy profile ("cuc", "cuc-esm", "cucm",
// "exchange-um", "nist-800-63b-4").
func Profile(name string) PolicyRef { return PolicyRef{ref{kind: refName, name: name}} }

// PolicyHandle refers to a policy loaded with LoadPolicy.
func PolicyHandle(h Handle) PolicyRef { return PolicyRef{ref{kind: refHandle, handle: h}} }

// PolicyJSON is an inline policy document: a JSON object as a policy file
// holds it (docs/policy.md). It is validated when the request runs.
func PolicyJSON(doc []byte) PolicyRef { return PolicyRef{ref{kind: refDoc, doc: doc}} }

// BuiltinTables names a built-in restriction-table set ("default",
// "recommended").
func BuiltinTables(name string) TablesRef { return TablesRef{ref{kind: refName, name: name}} }

// TablesHandle refers to a tables set loaded with LoadTables.
func TablesHandle(h Handle) TablesRef { return TablesRef{ref{kind: refHandle, handle: h}} }

// TablesJSON is an inline tables document (docs/tables.md).
func TablesJSON(doc []byte) TablesRef { return TablesRef{ref{kind: refDoc, doc: doc}} }

// IsZero reports whether r names nothing (the default).
func (r ref) IsZero() bool { return r.kind == refDefault }

// Name returns the built-in name r holds, if it holds one.
func (r ref) Name() (string, bool) { return r.name, r.kind == refName }

// Handle returns the handle r holds, if it holds one.
func (r ref) Handle() (Handle, bool) { return r.handle, r.kind == refHandle }

// JSON returns the inline document r holds, if it holds one. The caller
// must not modify it.
func (r ref) JSON() ([]byte, bool) { return r.doc, r.kind == refDoc }

// String describes r for messages and logs: a name, a handle, or "inline
// document" (never the document's text).
func (r ref) String() string {
	switch r.kind {
	case refName:
		return r.name
	case refHandle:
		return "handle " + strconv.FormatUint(uint64(r.handle), 10)
	case refDoc:
		return "inline document"
	}
	return "default"
}

// appendJSON writes r's wire form; the default is null.
func (r ref) appendJSON(b []byte) []byte {
	switch r.kind {
	case refName:
		return AppendString(b, r.name)
	case refHandle:
		return strconv.AppendUint(b, uint64(r.handle), 10)
	case refDoc:
		return append(b, bytes.TrimSpace(r.doc)...)
	}
	return append(b, "null"...)
}

// decodeRef reads a reference: a string (a name), a non-negative integer
// (a handle), an object (a document, kept as its text and read when the
// request runs) or null. field names it in errors.
func decodeRef(d *jsonx.Decoder, field string) (ref, error) {
	switch d.Kind() {
	case jsonx.Null:
		d.Null()
		return ref{}, nil
	case jsonx.String:
		s, err := d.String()
		return ref{kind: refName, name: s}, err
	case jsonx.Number:
		n, err := d.Int()
		if err != nil {
			return ref{}, err
		}
		if n < 0 || uint64(n) > uint64(^Handle(0)) {
			return ref{}, &Error{Code: ErrBadRequest, Field: d.Path(), Message: "a " + field + " handle is a number from 0 to " + strconv.FormatUint(uint64(^Handle(0)), 10)}
		}
		return ref{kind: refHandle, handle: Handle(n)}, nil
	case jsonx.Object:
		raw, err := d.Raw()
		return ref{kind: refDoc, doc: raw}, err
	}
	return ref{}, &Error{Code: ErrBadRequest, Field: d.Path(), Message: "want a " + field + " name, a handle or a " + field + " object"}
}
