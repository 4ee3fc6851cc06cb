package api

import "strconv"

// The requests' JSON forms, for hosts that send requests to the module:
// one encode per crossing. Fields at their zero value are left out where
// their tags say omitempty, so an encoded request decodes to itself
// (codec_test.go).

func (r *PINRequest) appendJSON(b []byte) []byte {
	b = append(b, '{')
	n := len(b)
	b = appendRefField(b, n, "policy", r.Policy.ref)
	b = appendKey(b, n, "pin")
	b = AppendString(b, r.PIN)
	b = append(b, `,"context":`...)
	b = r.Context.appendJSON(b)
	return append(b, '}')
}

func (c *PINContext) appendJSON(b []byte) []byte {
	b = append(b, '{')
	n := len(b)
	b = appendStringsField(b, n, "extensions", c.Extensions)
	b = appendStringField(b, n, "first_name", c.FirstName)
	b = appendStringField(b, n, "last_name", c.LastName)
	b = appendStringField(b, n, "dob", c.DateOfBirth)
	if c.Year != 0 {
		b = appendKey(b, n, "year")
		b = strconv.AppendInt(b, int64(c.Year), 10)
	}
	b = appendStringsField(b, n, "previous", c.Previous)
	b = appendStringsField(b, n, "previous_records", c.PreviousRecords)
	return append(b, '}')
}

func (r *PasswordRequest) appendJSON(b []byte) []byte {
	b = append(b, '{')
	n := len(b)
	b = appendRefField(b, n, "policy", r.Policy.ref)
	b = appendKey(b, n, "password")
	b = AppendString(b, r.Password)
	b = append(b, `,"context":`...)
	b = r.Context.appendJSON(b)
	return append(b, '}')
}

func (c *PasswordContext) appendJSON(b []byte) []byte {
	b = append(b, '{')
	n := len(b)
	b = appendStringField(b, n, "alias", c.Alias)
	b = appendStringsField(b, n, "extensions", c.Extensions)
	b = appendStringField(b, n, "old", c.Old)
	b = appendStringsField(b, n, "previous", c.Previous)
	b = appendStringsField(b, n, "previous_records", c.PreviousRecords)
	return append(b, '}')
}

func (r *DialRequest) appendJSON(b []byte) []byte {
	b = append(b, '{')
	n := len(b)
	b = appendRefField(b, n, "tables", r.Tables.ref)
	b = appendStringField(b, n, "table", r.Table)
	b = appendStringField(b, n, "cos", r.COS)
	b = appendStringField(b, n, "feature", r.Feature)
	b = appendKey(b, n, "number")
	b = AppendString(b, r.Number)
	return append(b, '}')
}

func (r *LintRequest) appendJSON(b []byte) []byte {
	if r.Tables.IsZero() {
		return append(b, "{}"...)
	}
	b = append(b, `{"tables":`...)
	b = r.Tables.appendJSON(b)
	return append(b, '}')
}

func (r *HashVerifyRequest) appendJSON(b []byte) []byte {
	b = append(b, `{"record":`...)
	b = AppendString(b, r.Record)
	b = append(b, `,"secret":`...)
	b = AppendString(b, r.Secret)
	if r.FIPS {
		b = append(b, `,"fips":true`...)
	}
	b = appendStringField(b, -1, "scheme", r.Scheme)
	b = appendStringField(b, -1, "salt", r.Salt)
	b = appendHashTail(b, r.Iterations, r.Policy)
	return append(b, '}')
}

func (r *HashMakeRequest) appendJSON(b []byte) []byte {
	b = append(b, `{"scheme":`...)
	b = AppendString(b, r.Scheme)
	b = append(b, `,"secret":`...)
	b = AppendString(b, r.Secret)
	b = appendStringField(b, -1, "salt", r.Salt)
	b = appendHashTail(b, r.Iterations, r.Policy)
	return append(b, '}')
}

func appendHashTail(b []byte, iterations int, p PolicyRef) []byte {
	if iterations != 0 {
		b = append(b, `,"iterations":`...)
		b = strconv.AppendInt(b, int64(iterations), 10)
	}
	if !p.IsZero() {
		b = append(b, `,"policy":`...)
		b = p.appendJSON(b)
	}
	return b
}

func (r *SignInRequest) appendJSON(b []byte) []byte {
	b = append(b, '{')
	n := len(b)
	b = appendRefField(b, n, "policy", r.Policy.ref)
	b = appendStringField(b, n, "kind", r.Kind)
	b = appendKey(b, n, "state")
	b = r.State.appendJSON(b)
	b = append(b, `,"event":`...)
	b = r.Event.appendJSON(b)
	return append(b, '}')
}

func (e *SignInEvent) appendJSON(b []byte) []byte {
	b = append(b, `{"type":`...)
	b = AppendString(b, e.Type)
	b = append(b, `,"at":`...)
	b = AppendString(b, e.At)
	if e.OK {
		b = append(b, `,"ok":true`...)
	}
	b = appendStringField(b, -1, "interface", e.Interface)
	b = appendStringField(b, -1, "by", e.By)
	if e.MustChange {
		b = append(b, `,"must_change":true`...)
	}
	return append(b, '}')
}

func (r *UnloadRequest) appendJSON(b []byte) []byte {
	b = append(b, `{"handle":`...)
	b = strconv.AppendUint(b, uint64(r.Handle), 10)
	return append(b, '}')
}

// appendRefField writes `"name":REF` unless the reference is the default.
func appendRefField(b []byte, start int, name string, r ref) []byte {
	if r.IsZero() {
		return b
	}
	return r.appendJSON(appendKey(b, start, name))
}

// appendKey writes `"name":`, after a comma unless b ends at start (the
// object's first field); start < 0 means a field always precedes.
func appendKey(b []byte, start int, name string) []byte {
	if len(b) != start {
		b = append(b, ',')
	}
	b = append(b, '"')
	b = append(b, name...)
	return append(b, `":`...)
}

func appendStringField(b []byte, start int, name, v string) []byte {
	if v == "" {
		return b
	}
	b = appendKey(b, start, name)
	return AppendString(b, v)
}

func appendStringsField(b []byte, start int, name string, v []string) []byte {
	if len(v) == 0 {
		return b
	}
	b = appendKey(b, start, name)
	b = append(b, '[')
	for i, s := range v {
		if i > 0 {
			b = append(b, ',')
		}
		b = AppendString(b, s)
	}
	return append(b, ']')
}
