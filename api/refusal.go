package api

import (
	"github.com/tollgate/tollgate/core"
	"github.com/tollgate/tollgate/core/dialplan"
	"github.com/tollgate/tollgate/internal/jsonx"
)

// Refusal is the answer of a host that checks several fields of one
// request and refuses the whole request when any of them is refused: the
// Caddy module's 422 body, {"accepted":false,"refused":[...]}. Accepted
// is false in every Refusal a host sends.
type Refusal struct {
	Accepted bool           `json:"accepted"`
	Refused  []RefusedField `json:"refused"`
}

// RefusedField is one refused field of a Refusal: the request field, the
// check that refused it ("pin", "password" or "dial"), the reasons, and
// for a dial check the whole dial answer (table, row, pattern), which
// Reasons explains with one reason (DialReason.Refusal).
type RefusedField struct {
	Field   string      `json:"field"`
	Check   string      `json:"check"`
	Reasons []Reason    `json:"reasons"`
	Dial    *DialResult `json:"dial,omitempty"`
}

// Refusal explains a number refused for reason r, in the words of the
// refusal catalogue (dialplan.Reason.RefusalCode and RefusalMessage):
// code "blocked" for a row that blocks it, else r itself.
func (r DialReason) Refusal() Reason {
	x := dialplan.Reason(255) // unknown: explained as blocked
	for c := dialplan.ReasonMatched; c <= dialplan.ReasonTimeout; c++ {
		if c.String() == string(r) {
			x = c
			break
		}
	}
	return Reason{Code: core.Code(x.RefusalCode()), Message: x.RefusalMessage()}
}

func (r *Refusal) appendJSON(b []byte) []byte {
	b = append(b, `{"accepted":`...)
	if r.Accepted {
		b = append(b, "true"...)
	} else {
		b = append(b, "false"...)
	}
	b = append(b, `,"refused":[`...)
	for i := range r.Refused {
		if i > 0 {
			b = append(b, ',')
		}
		b = r.Refused[i].appendJSON(b)
	}
	return append(b, "]}"...)
}

func (f *RefusedField) appendJSON(b []byte) []byte {
	b = append(b, `{"field":`...)
	b = AppendString(b, f.Field)
	b = append(b, `,"check":`...)
	b = AppendString(b, f.Check)
	b = append(b, `,"reasons":[`...)
	for i := range f.Reasons {
		if i > 0 {
			b = append(b, ',')
		}
		b = f.Reasons[i].appendJSON(b)
	}
	b = append(b, ']')
	if f.Dial != nil {
		b = append(b, `,"dial":`...)
		b = f.Dial.appendJSON(b)
	}
	return append(b, '}')
}

var (
	refusalFields      = []string{"accepted", "refused"}
	refusedFieldFields = []string{"field", "check", "reasons", "dial"}
)

func (r *Refusal) decodeJSON(d *jsonx.Decoder) error {
	r.Refused = nil
	return d.Object(func(key string) (err error) {
		switch key {
		case "accepted":
			r.Accepted, err = readBool(d)
		case "refused":
			if d.Null() {
				return nil
			}
			r.Refused = []RefusedField{}
			err = d.Array(func(int) error {
				var f RefusedField
				err := f.decodeJSON(d)
				r.Refused = append(r.Refused, f)
				return err
			})
		default:
			err = unknownField(d, key, refusalFields)
		}
		return err
	})
}

func (f *RefusedField) decodeJSON(d *jsonx.Decoder) error {
	return d.Object(func(key string) (err error) {
		switch key {
		case "field":
			f.Field, err = readString(d)
		case "check":
			f.Check, err = readString(d)
		case "reasons":
			if d.Null() {
				return nil
			}
			f.Reasons = []Reason{}
			err = d.Array(func(int) error {
				var r Reason
				err := r.decodeJSON(d)
				f.Reasons = append(f.Reasons, r)
				return err
			})
		case "dial":
			if d.Null() {
				return nil
			}
			f.Dial = new(DialResult)
			err = f.Dial.decodeJSON(d)
		default:
			err = unknownField(d, key, refusedFieldFields)
		}
		return err
	})
}

// MarshalJSON writes r's wire form.
func (r Refusal) MarshalJSON() ([]byte, error) { return marshal(&r) }

// UnmarshalJSON reads r's wire form strictly.
func (r *Refusal) UnmarshalJSON(b []byte) error { return unmarshal(b, r) }
