package dialplan

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// jsonDocument decodes a tables document as tollgate did before jsonx:
// encoding/json, unknown fields refused. It is the oracle of
// FuzzDecodeDocument.
func jsonDocument(data []byte) (*Document, error) {
	var d Document
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&d); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, errors.New("trailing data")
	}
	return &d, nil
}

// FuzzDecodeDocument: the jsonx reader gives the document encoding/json
// gives, and refuses what it refuses. It is stricter where the format
// says so: a key given twice, a key in another case ("Tables"), data
// after the document, a document that is null and nesting beyond
// jsonx.MaxDepth are errors.
func FuzzDecodeDocument(f *testing.F) {
	for _, s := range []string{`{}`, `{"tables":null}`, `{"tables":[null,{"name":"T","rows":[{"pattern":"9*","blocked":null},{"pattern":"*","blocked":false}]}]}`,
		`{"trunk_access_codes":["99"],"outside_line_codes":[],"tables":[{"name":"A","dialect":"cucm","min_digits":3,"max_digits":1e1,"order":"closest","no_match":"allowed","rows":[{"pattern":"9.@","dialect":"regex"}]}],"classes_of_service":[{"name":"C","transfer":"A","outdial":"A","fax":"A","system_transfer":"A"}]}`,
		`{"Tables":[]}`, `{"tables":[],"tables":[]}`, `{"tables":[]}]`, `{"tables":[{"name":"\u00e9\ud800"}]}`} {
		f.Add([]byte(s))
	}
	files, _ := filepath.Glob(filepath.Join("..", "..", "testdata", "tables", "*.json"))
	for _, name := range files {
		if data, err := os.ReadFile(name); err == nil {
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := decodeDocument("", data)
		want, jerr := jsonDocument(data)
		switch {
		case err == nil && jerr == nil:
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("decodeDocument(%q) = %+v; encoding/json gives %+v", data, got, want)
			}
		case err == nil:
			t.Fatalf("decodeDocument(%q) accepts what encoding/json refuses: %v", data, jerr)
		case jerr == nil:
			var pe *ParseError
			if !errors.As(err, &pe) || !errors.Is(err, ErrDecode) {
				t.Fatalf("decodeDocument(%q): %v; want a ParseError wrapping ErrDecode", data, err)
			}
			msg := pe.Msg
			stricter := strings.Contains(msg, "appears more than once") || strings.Contains(msg, "after top-level value") ||
				strings.Contains(msg, "exceeded max depth") || strings.Contains(msg, "unknown field") && (caseVariant(pe.Field) || hiddenKey(pe.Field)) ||
				pe.Field == "" && msg == "want an object, got null" // a null document, which has no tables
			if !stricter {
				t.Fatalf("decodeDocument(%q) refuses what encoding/json accepts: %v", data, err)
			}
		}
	})
}

// hiddenKey reports whether the last key of path is one jsonx does not
// show (it has a capital, a digit or a symbol). Where encoding/json takes
// the document and the decoder refuses such a key as unknown, the key can
// only be a field name in another case: every field name of the format is
// lower case, and other unknown keys both refuse.
func hiddenKey(path string) bool {
	return strings.HasSuffix(path, "-byte key>")
}

// caseVariant reports whether the last key of path is a field name of the
// format in another case, which encoding/json matches and jsonx does not.
func caseVariant(path string) bool {
	key := path[strings.LastIndexAny(path, ".]")+1:]
	for _, fs := range [][]string{documentFields, tableFields, rowFields, cosFields} {
		for _, f := range fs {
			if strings.EqualFold(f, key) {
				return true
			}
		}
	}
	return false
}

func TestDecodeErrorsPlaceTheFault(t *testing.T) {
	tests := []struct {
		doc, field string
		line       int
		msg        string
	}{
		{"{\n \"tables\": [\n  {\"name\": \"T\", \"rows\": [{\"pattern\": 9}]}]}", "tables[0].rows[0].pattern", 3, "want a string, got a number"},
		{"{\"tables\": [{\"name\": \"T\"}],\n \"classes_of_service\": [{\"name\": \"C\", \"voicemail\": \"T\"}]}", "classes_of_service[0].voicemail", 2, "unknown field; known fields here: name, transfer, outdial, fax, system_transfer"},
		{"{\"tables\": [{\"min_digits\": 1e400}]}", "tables[0].min_digits", 1, "1e400 is not a whole number; want an integer"},
		{"{\"tables\": [{\"max_digits\": 99999999999999999999}]}", "tables[0].max_digits", 1, "is too large; want an integer"},
		{"{\"tables\": {}}", "tables", 1, "want an array, got an object"},
		{"{\"tables\": [\n\n{\"name\": \"T\" \"rows\": []}]}", "", 3, "invalid character '\"' after object key:value pair at line 3, column 14"},
		{"{\"tables\": []}\n}", "", 2, "invalid character '}' after top-level value at line 2, column 1"},
		{"", "", 1, "unexpected end of JSON input at line 1, column 1"},
	}
	for _, tt := range tests {
		_, err := Parse("t.json", []byte(tt.doc))
		var pe *ParseError
		if !errors.As(err, &pe) || !errors.Is(err, ErrDecode) {
			t.Errorf("Parse(%q) = %v; want a ParseError wrapping ErrDecode", tt.doc, err)
			continue
		}
		if pe.Field != tt.field || pe.Line != tt.line || !strings.Contains(pe.Msg, tt.msg) || pe.Path != "t.json" || pe.Row != -1 {
			t.Errorf("Parse(%q): field %q line %d %q; want field %q line %d and %q", tt.doc, pe.Field, pe.Line, pe.Msg, tt.field, tt.line, tt.msg)
		}
	}
}

// TestEmptyOutsideLineCodes: an empty list is no codes; only an absent
// field means the default ["9"].
func TestEmptyOutsideLineCodes(t *testing.T) {
	for doc, want := range map[string]int{
		`{"outside_line_codes": [], "tables": [{"name": "T", "rows": [{"pattern": "*"}]}]}`:   0,
		`{"outside_line_codes": null, "tables": [{"name": "T", "rows": [{"pattern": "*"}]}]}`: 1,
		`{"tables": [{"name": "T", "rows": [{"pattern": "*"}]}]}`:                             1,
	} {
		if s := mustParse(t, doc); len(s.OutsideLineCodes()) != want {
			t.Errorf("%s: outside-line codes %q; want %d", doc, s.OutsideLineCodes(), want)
		}
	}
}
