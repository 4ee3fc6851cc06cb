package dialplan

import (
	"strconv"
	"strings"

	"github.com/tollgate/tollgate/internal/jsonx"
)

// Reading the JSON formats (the tables document, CUPI exports) with
// jsonx, field by field: encoding/json and the reflection it needs are
// too large for the WebAssembly module's budget.

// decodeDocument reads a tables document strictly: each field of the
// format once, with its type; an unknown field or trailing data is an
// error. null reads as an absent field, as encoding/json does.
func decodeDocument(path string, data []byte) (*Document, error) {
	if len(data) > MaxDocumentBytes {
		return nil, &ParseError{Path: path, Row: -1, Err: ErrRange,
			Msg: "the document is " + strconv.Itoa(len(data)) + " bytes; at most " + strconv.Itoa(MaxDocumentBytes) + " (8 MiB)"}
	}
	d := jsonx.NewDecoder(data)
	doc := &Document{}
	if err := readDocument(d, doc); err != nil {
		return nil, decodeError(path, data, err)
	}
	if err := d.End(); err != nil {
		return nil, decodeError(path, data, err)
	}
	return doc, nil
}

var (
	documentFields = []string{"trunk_access_codes", "outside_line_codes", "tables", "classes_of_service", "region", "tiers"}
	tableFields    = []string{"name", "dialect", "min_digits", "max_digits", "order", "no_match", "rows", "reach"}
	rowFields      = []string{"pattern", "blocked", "dialect"}
	cosFields      = []string{"name", "transfer", "outdial", "fax", "system_transfer"}
)

func readDocument(d *jsonx.Decoder, doc *Document) error {
	return d.Object(func(key string) error {
		var err error
		switch key {
		case "trunk_access_codes":
			doc.TrunkAccessCodes, err = readStrings(d)
		case "outside_line_codes":
			doc.OutsideLineCodes, err = readStrings(d)
		case "tables":
			doc.Tables, err = readList(d, readTableDoc)
		case "classes_of_service":
			doc.ClassesOfService, err = readList(d, readClassOfService)
		case "region":
			doc.Region, err = readRegion(d)
		case "tiers":
			doc.Tiers, err = readTiers(d)
		default:
			err = unknownField(d, documentFields)
		}
		return err
	})
}

func readTableDoc(d *jsonx.Decoder, td *TableDoc) error {
	return d.Object(func(key string) error {
		var err error
		switch key {
		case "name":
			err = readString(d, &td.Name)
		case "dialect":
			err = readString(d, &td.Dialect)
		case "min_digits":
			err = readInt(d, &td.MinDigits)
		case "max_digits":
			err = readInt(d, &td.MaxDigits)
		case "order":
			err = readString(d, &td.Order)
		case "no_match":
			err = readString(d, &td.NoMatch)
		case "rows":
			td.Rows, err = readList(d, readRowDoc)
		case "reach":
			err = readString(d, &td.Reach)
		default:
			err = unknownField(d, tableFields)
		}
		return err
	})
}

func readRowDoc(d *jsonx.Decoder, rd *RowDoc) error {
	return d.Object(func(key string) error {
		var err error
		switch key {
		case "pattern":
			err = readString(d, &rd.Pattern)
		case "blocked":
			if d.Null() {
				rd.Blocked = nil
				return nil
			}
			var v bool
			v, err = d.Bool()
			rd.Blocked = &v
		case "dialect":
			err = readString(d, &rd.Dialect)
		default:
			err = unknownField(d, rowFields)
		}
		return err
	})
}

func readClassOfService(d *jsonx.Decoder, c *ClassOfService) error {
	return d.Object(func(key string) error {
		var err error
		switch key {
		case "name":
			err = readString(d, &c.Name)
		case "transfer":
			err = readString(d, &c.Transfer)
		case "outdial":
			err = readString(d, &c.Outdial)
		case "fax":
			err = readString(d, &c.Fax)
		case "system_transfer":
			err = readString(d, &c.SystemTransfer)
		default:
			err = unknownField(d, cosFields)
		}
		return err
	})
}

// readList reads an array of objects (null: nil; a null element: the
// zero value).
func readList[T any](d *jsonx.Decoder, read func(*jsonx.Decoder, *T) error) ([]T, error) {
	if d.Null() {
		return nil, nil
	}
	out := []T{}
	err := d.Array(func(int) error {
		out = append(out, *new(T))
		if d.Null() {
			return nil
		}
		return read(d, &out[len(out)-1])
	})
	return out, err
}

// readStrings reads an array of strings. [] is an empty list, not nil:
// "outside_line_codes": [] means none, where an absent field means ["9"].
func readStrings(d *jsonx.Decoder) ([]string, error) {
	if d.Null() {
		return nil, nil
	}
	out := []string{}
	err := d.Array(func(int) error {
		s, err := d.String()
		out = append(out, s)
		return err
	})
	return out, err
}

func readString(d *jsonx.Decoder, s *string) error {
	if d.Null() {
		return nil
	}
	v, err := d.String()
	*s = v
	return err
}

func readInt(d *jsonx.Decoder, n *int) error {
	if d.Null() {
		return nil
	}
	v, err := d.Int()
	*n = v
	return err
}

// unknownField is the error for a key not one of known. The path shows
// the key only when it looks like a field name (jsonx.SafeKey).
func unknownField(d *jsonx.Decoder, known []string) error {
	return d.Fail("unknown field; known fields here: " + strings.Join(known, ", "))
}

// decodeError places a jsonx error: its path becomes the ParseError's
// field, its offset the line (and, for malformed JSON, which has no
// field to name, the column too).
func decodeError(path string, data []byte, err error) error {
	je, ok := err.(*jsonx.Error) // jsonx errors are never wrapped
	if !ok {
		return err // a ParseError from a reader, or an unexpected error
	}
	pe := &ParseError{Path: path, Row: -1, Err: ErrDecode, Field: je.Path, Msg: je.Msg, Line: lineOf(data, je.Offset)}
	if je.Syntax {
		pe.Field = ""
		pe.Msg = je.Msg + " at " + jsonx.Position(data, je.Offset)
	}
	return pe
}

// lineOf is the 1-based line of byte offset off of data.
func lineOf(data []byte, off int) int {
	line := 1
	for _, c := range data[:min(max(off, 0), len(data))] {
		if c == '\n' {
			line++
		}
	}
	return line
}
