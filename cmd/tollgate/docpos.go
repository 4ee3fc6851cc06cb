package main

import (
	"errors"
	"strconv"
	"strings"

	tollgate "github.com/tollgate/tollgate"
	"github.com/tollgate/tollgate/api"
	"github.com/tollgate/tollgate/core"
	"github.com/tollgate/tollgate/core/dialplan"
	"github.com/tollgate/tollgate/internal/jsonx"
)

// docFile is a --policy or --tables file whose own text is the JSON
// document the engine reads, so that an error's field path can be found
// in it and the message can say on which line and column, as the
// --velocity file's errors and a document's syntax errors do. (A
// file in an import format is converted first: its errors carry its own
// lines, and a path in the converted document says nothing about the
// file.)
type docFile struct {
	flag, name string
	data       []byte
}

// where names the file and, when path (an error's field path) is found
// in it, the line and column of that value; column, when positive, is a
// 1-based byte column inside the value's string (a pattern's).
func (f *docFile) where(path string, column int) string {
	s := f.flag + " " + f.name
	if path == "" {
		return s
	}
	off, ok := locate(f.data, path)
	if !ok {
		return s
	}
	if column > 0 {
		off = intoString(f.data, off, column)
	}
	return s + ": " + jsonx.Position(f.data, off)
}

// policyError renders an error about the policy document f holds: an
// engine's (*api.Error, whose message is the text) or the core's
// (*core.PolicyError), each with the field's path.
func (f *docFile) policyError(err error) string {
	var pe *core.PolicyError
	if errors.As(err, &pe) {
		return f.where(pe.Field, 0) + ": " + pe.Error()
	}
	var ae *api.Error
	if errors.As(err, &ae) {
		return f.where(ae.Field, 0) + ": " + ae.Message
	}
	return f.where("", 0) + ": " + err.Error()
}

// tablesError renders an error about the tables document f holds. The
// core's *dialplan.ParseError says which table; an engine's *api.Error
// has only the field's path within its table, so the document is compiled
// here too to find the table, and the position is given only when this
// compile reports the very error the engine did.
func (f *docFile) tablesError(err error) string {
	var pe *dialplan.ParseError
	if errors.As(err, &pe) {
		return f.where(tablesPath(f.data, pe), pe.Column) + ": " + pe.Error()
	}
	msg := errorMessage(err)
	dest, derr := tollgate.Destinations()
	if derr != nil {
		return f.where("", 0) + ": " + msg
	}
	_, perr := dialplan.ParseOptions("", f.data, dialplan.Options{Destinations: dest})
	if !errors.As(perr, &pe) || pe.Error() != msg {
		return f.where("", 0) + ": " + msg
	}
	return f.where(tablesPath(f.data, pe), pe.Column) + ": " + msg
}

// intoString moves off, the offset of a string literal, to the column'th
// byte of its content, when no escape comes before it (with one, the
// bytes of the literal are not those of the value, and the literal's
// start is the closest honest place).
func intoString(data []byte, off, column int) int {
	if off >= len(data) || data[off] != '"' {
		return off
	}
	for i := off + 1; i < off+column; i++ {
		if i >= len(data) || data[i] == '\\' || data[i] == '"' {
			return off
		}
	}
	return off + column
}

// tablesPath is the path in a tables document of what a ParseError is
// about: the loader names a row's field within its table ("rows[3].pattern"
// of table "Default Outdial"), which is found by the table's name.
func tablesPath(data []byte, pe *dialplan.ParseError) string {
	if pe.Table == "" || strings.HasPrefix(pe.Field, "tables") {
		return pe.Field
	}
	i := tableIndex(data, pe.Table)
	if i < 0 {
		return ""
	}
	p := "tables[" + strconv.Itoa(i) + "]"
	switch {
	case pe.Field != "":
		p += "." + pe.Field
	case pe.Row >= 0:
		p += ".rows[" + strconv.Itoa(pe.Row) + "]"
	}
	return p
}

// tableIndex is the index of the first table named name in a tables
// document, or -1.
func tableIndex(data []byte, name string) int {
	off, ok := locate(data, "tables")
	if !ok {
		return -1
	}
	found := -1
	d := jsonx.NewDecoder(data[off:])
	d.Array(func(i int) error {
		if found >= 0 || d.Kind() != jsonx.Object {
			return nil // skipped
		}
		return d.Object(func(key string) error {
			if key != "name" || d.Kind() != jsonx.String {
				return nil
			}
			if s, err := d.String(); err == nil && s == name {
				found = i
			}
			return nil
		})
	})
	return found
}
