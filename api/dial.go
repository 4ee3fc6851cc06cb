package api

import (
	"bytes"
	"strconv"
	"strings"

	"github.com/tollgate/tollgate/core/dialplan"
)

// DefaultTables is the tables set used when a request names none.
const DefaultTables = dialplan.SetDefault

// dialSession is the part of a Session that holds restriction tables:
// sets loaded by handle, and a by-text cache for inline documents.
type dialSession struct {
	sets   []*dialplan.Set
	byText map[string]*dialplan.Set
}

// DialRequest is the "dial" operation: check one dialed number against a
// table, named directly or through a class of service and a feature.
type DialRequest struct {
	Tables  RawJSON `json:"tables,omitempty"`
	Table   string  `json:"table,omitempty"`
	COS     string  `json:"cos,omitempty"`
	Feature string  `json:"feature,omitempty"`
	Number  string  `json:"number"`
}

func init() {
	// "tables.load" compiles a tables set (a built-in name or a document)
	// and returns a handle: {"handle": N, "tables": [names]}.
	register("tables.load", func(s *Session, req, out []byte) ([]byte, error) {
		set, err := s.parseTables(req)
		if err != nil {
			return nil, err
		}
		s.dial.sets = append(s.dial.sets, set)
		out = append(out, `{"handle":`...)
		out = strconv.AppendInt(out, int64(len(s.dial.sets)-1), 10)
		out = append(out, `,"tables":[`...)
		for i, t := range set.Tables() {
			if i > 0 {
				out = append(out, ',')
			}
			out = AppendString(out, t.Name)
		}
		return append(out, "]}"...), nil
	})
	register("dial", func(s *Session, req, out []byte) ([]byte, error) {
		var r DialRequest
		if err := decodeRequest(req, &r); err != nil {
			return nil, err
		}
		set, err := s.tables(r.Tables)
		if err != nil {
			return nil, err
		}
		t, err := PickTable(set, r.Table, r.COS, r.Feature)
		if err != nil {
			return nil, err
		}
		return AppendDial(out, t, r.Number, t.MatchString(r.Number)), nil
	})
}

// PickTable finds the table a request asks for: by name, by class of
// service and feature, or the set's default table.
func PickTable(set *dialplan.Set, table, cos, feature string) (*dialplan.Table, error) {
	switch {
	case table != "" && cos != "":
		return nil, &Error{Code: ErrBadRequest, Field: "cos", Message: "name a table or a class of service, not both"}
	case table != "":
		t, ok := set.Table(table)
		if !ok {
			names := make([]string, 0, len(set.Tables()))
			for _, t := range set.Tables() {
				names = append(names, quote(t.Name))
			}
			return nil, &Error{Code: ErrBadRequest, Field: "table", Message: "no table " + quote(table) + " (tables: " + strings.Join(names, ", ") + ")"}
		}
		return t, nil
	case cos != "":
		if feature == "" {
			return nil, &Error{Code: ErrBadRequest, Field: "feature", Message: "a class of service needs a feature: transfer, outdial, fax or system_transfer"}
		}
		t, err := set.ForFeature(cos, feature)
		if err != nil {
			return nil, &Error{Code: ErrBadRequest, Field: "cos", Message: err.Error()}
		}
		return t, nil
	case feature != "":
		return nil, &Error{Code: ErrBadRequest, Field: "feature", Message: "a feature needs a class of service (cos)"}
	}
	return set.DefaultTable(), nil
}

// AppendDial appends the JSON form of a dial result:
// {"number", "allowed", "reason", "table", "row", "pattern"}, plus
// "dropped" (separators removed by normalization) when there were any,
// "position" (byte offset of the first invalid byte) for an invalid number,
// and, when the tables document declares a region and the number is
// valid, "destination": {"country", "region", "type", "tier"}.
// number is the normalized number, or the input when it is invalid.
func AppendDial(b []byte, t *dialplan.Table, number string, r dialplan.Result) []byte {
	b = append(b, `{"number":`...)
	if r.Reason == dialplan.ReasonInvalid {
		b = AppendString(b, number) // invalid UTF-8 becomes U+FFFD
	} else if r.Dropped == 0 {
		b = AppendString(b, number)
	} else {
		var buf [dialplan.MaxDigitsLimit + 1]byte
		norm, _, _ := dialplan.Normalize(buf[:0], []byte(number))
		b = AppendString(b, string(norm))
	}
	b = append(b, `,"allowed":`...)
	b = strconv.AppendBool(b, r.Allowed)
	b = append(b, `,"reason":`...)
	b = AppendString(b, r.Reason.String())
	b = append(b, `,"table":`...)
	b = AppendString(b, t.Name)
	b = append(b, `,"row":`...)
	b = strconv.AppendInt(b, int64(r.Row), 10)
	b = append(b, `,"pattern":`...)
	b = AppendString(b, t.Pattern(r))
	if r.Dropped > 0 {
		b = append(b, `,"dropped":`...)
		b = strconv.AppendInt(b, int64(r.Dropped), 10)
	}
	if r.Reason == dialplan.ReasonInvalid {
		b = append(b, `,"position":`...)
		b = strconv.AppendInt(b, int64(r.Bad), 10)
	} else if d, ok := t.Destination(number); ok {
		b = AppendDestination(b, d)
	}
	return append(b, '}')
}

// AppendDestination appends `,"destination":{...}`: country (ISO code,
// 001 for the international networks, "" when unknown), region (the
// calling code, "+1"; "" when unknown or internal), type and tier.
func AppendDestination(b []byte, d dialplan.Destination) []byte {
	b = append(b, `,"destination":{"country":`...)
	b = AppendString(b, d.Country)
	b = append(b, `,"region":`...)
	b = AppendString(b, d.Region)
	b = append(b, `,"type":`...)
	b = AppendString(b, d.Type)
	b = append(b, `,"tier":`...)
	b = AppendString(b, d.Tier)
	return append(b, '}')
}

// tables resolves a request's tables reference: a handle, a built-in set
// name or an inline document; "default" when absent.
func (s *Session) tables(ref RawJSON) (*dialplan.Set, error) {
	ref = bytes.TrimSpace(ref)
	if len(ref) == 0 || string(ref) == "null" {
		return dialplan.Builtin(DefaultTables)
	}
	if c := ref[0]; c >= '0' && c <= '9' {
		h, err := strconv.Atoi(string(ref))
		if err != nil || h >= len(s.dial.sets) {
			return nil, &Error{Code: ErrBadRequest, Field: "tables", Message: "no loaded tables with handle " + string(ref)}
		}
		return s.dial.sets[h], nil
	}
	return s.parseTables(ref)
}

// parseTables compiles a tables document (a built-in name string or an
// object), caching by text so a document repeated inline compiles once.
func (s *Session) parseTables(doc []byte) (*dialplan.Set, error) {
	doc = bytes.TrimSpace(doc)
	if set, ok := s.dial.byText[string(doc)]; ok { // no copy to look up
		return set, nil
	}
	key := string(doc)
	var set *dialplan.Set
	var err error
	if len(key) > 0 && key[0] == '"' {
		var name string
		if name, err = readName(key); err != nil {
			return nil, err
		}
		set, err = dialplan.Builtin(name)
		if err != nil {
			return nil, &Error{Code: ErrInvalidTables, Field: "tables", Message: err.Error()}
		}
	} else {
		set, err = dialplan.Parse("", []byte(key))
		if err != nil {
			return nil, tablesError(err)
		}
	}
	if s.dial.byText == nil || len(s.dial.byText) >= maxCached {
		s.dial.byText = map[string]*dialplan.Set{}
	}
	s.dial.byText[key] = set
	return set, nil
}

func tablesError(err error) *Error {
	if pe, ok := err.(*dialplan.ParseError); ok { // never wrapped
		return &Error{Code: ErrInvalidTables, Field: pe.Field, Message: pe.Error()}
	}
	return &Error{Code: ErrInvalidTables, Message: err.Error()}
}
