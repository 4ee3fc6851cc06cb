package api

import "github.com/tollgate/tollgate/internal/jsonx"

// encoding/json interoperation: the references and the answers marshal
// and unmarshal through this package's codec, so a program that hands api
// values to encoding/json writes and reads exactly the wire form (spans
// at offset 0, a dial's position, a finding without a shadowing row).
// The requests are plain structs whose tags are their wire form.

// MarshalJSON writes r's wire form (null for the default).
func (r PolicyRef) MarshalJSON() ([]byte, error) { return r.appendJSON(nil), nil }

// UnmarshalJSON reads a reference, keeping a copy of an inline document.
func (r *PolicyRef) UnmarshalJSON(b []byte) error { return r.ref.unmarshal(b, "policy") }

// MarshalJSON writes r's wire form (null for the default).
func (r TablesRef) MarshalJSON() ([]byte, error) { return r.appendJSON(nil), nil }

// UnmarshalJSON reads a reference, keeping a copy of an inline document.
func (r *TablesRef) UnmarshalJSON(b []byte) error { return r.ref.unmarshal(b, "tables") }

func (r *ref) unmarshal(b []byte, field string) error {
	b = append([]byte(nil), b...)
	d := jsonx.NewDecoder(b)
	v, err := decodeRef(d, field)
	if err == nil {
		err = d.End()
	}
	if err != nil {
		return requestError(err)
	}
	*r = v
	return nil
}

func marshal(m Message) ([]byte, error) { return m.appendJSON(nil), nil }

func unmarshal(b []byte, m Message) error { return decodeRequest(b, m) }

// MarshalJSON writes v's wire form.
func (v Verdict) MarshalJSON() ([]byte, error) { return marshal(&v) }

// UnmarshalJSON reads v's wire form strictly.
func (v *Verdict) UnmarshalJSON(b []byte) error { return unmarshal(b, v) }

// MarshalJSON writes r's wire form.
func (r Reason) MarshalJSON() ([]byte, error) { return marshal(&r) }

// UnmarshalJSON reads r's wire form strictly.
func (r *Reason) UnmarshalJSON(b []byte) error { return unmarshal(b, r) }

// MarshalJSON writes d's wire form.
func (d DialResult) MarshalJSON() ([]byte, error) { return marshal(&d) }

// UnmarshalJSON reads d's wire form strictly.
func (d *DialResult) UnmarshalJSON(b []byte) error { return unmarshal(b, d) }

// MarshalJSON writes l's wire form.
func (l LintResult) MarshalJSON() ([]byte, error) { return marshal(&l) }

// UnmarshalJSON reads l's wire form strictly.
func (l *LintResult) UnmarshalJSON(b []byte) error { return unmarshal(b, l) }

// MarshalJSON writes f's wire form.
func (f Finding) MarshalJSON() ([]byte, error) { return marshal(&f) }

// UnmarshalJSON reads f's wire form strictly.
func (f *Finding) UnmarshalJSON(b []byte) error {
	f.ShadowedBy = -1
	return unmarshal(b, f)
}

// MarshalJSON writes h's wire form.
func (h HashResult) MarshalJSON() ([]byte, error) { return marshal(&h) }

// UnmarshalJSON reads h's wire form strictly.
func (h *HashResult) UnmarshalJSON(b []byte) error { return unmarshal(b, h) }
