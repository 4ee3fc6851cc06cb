package main

import (
	"testing"

	"github.com/tollgate/tollgate/internal/jsonx"
)

func TestLocate(t *testing.T) {
	doc := []byte("{\"tables\": [\n {\"name\": \"a\", \"rows\": []},\n {\"name\": \"b\",\n  \"rows\": [{\"pattern\": \"9*\"}, {\"pattern\": \"9[x\", \"blockd\": true}]}\n],\n \"\\u0074ag\": 1, \"n\": null}")
	for _, c := range []struct {
		path string
		want string // the position, "" for not found
	}{
		{"", "line 1, column 1"},
		{"tables", "line 1, column 12"},
		{"tables[1]", "line 3, column 2"},
		{"tables[1].name", "line 3, column 11"},
		{"tables[1].rows[1].pattern", "line 4, column 43"},
		{"tables[1].rows[1].blockd", "line 4, column 60"},
		{"tag", "line 6, column 14"}, // the key as decoded, not as spelled
		{"n", "line 6, column 22"},
		{"tables[2]", ""},
		{"tables[-1]", ""},
		{"tables[x]", ""},
		{"tables[1", ""},
		{"tables.", ""},
		{"tables.name", ""},        // an array, not an object
		{"n.x", ""},                // null has no members
		{"tables[0].rows[0]", ""},  // empty
		{"<6-byte key>", ""},       // a hidden key
		{"...rows[1].pattern", ""}, // a path cut short
		{"missing", ""},
	} {
		off, ok := locate(doc, c.path)
		got := ""
		if ok {
			got = jsonx.Position(doc, off)
		}
		if got != c.want {
			t.Errorf("locate(%q) = %q, want %q", c.path, got, c.want)
		}
	}
	if _, ok := locate([]byte(`{"a": [1, `), "a[1]"); ok {
		t.Error("locate found a value past the end of a truncated document")
	}
	if off, ok := locate([]byte(`{"a": 1, "b": `), "a"); !ok || off != 6 {
		t.Errorf("locate in a document malformed after the value = %d, %v; want 6, true", off, ok)
	}
}
