package audit

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/tollgate/tollgate/api"
	"github.com/tollgate/tollgate/export"
)

// readAll reads every row of input with package export's Reader, as the
// audit does, as "line:f1|f2" or "line:!reason".
func readAll(t *testing.T, input []byte) []string {
	t.Helper()
	cr, err := export.NewReader(bytes.NewReader(input), "")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		if rec.Bad != "" {
			out = append(out, fmt.Sprintf("%03d:!%s", rec.Line, rec.Bad))
		} else {
			out = append(out, fmt.Sprintf("%03d:%s", rec.Line, strings.Join(rec.Fields, "|")))
		}
	}
}

// utf16File is s in UTF-16 with a byte-order mark.
func utf16File(s string, le bool) []byte {
	units := utf16.Encode([]rune(s))
	var order binary.AppendByteOrder = binary.BigEndian
	b := []byte{0xFE, 0xFF}
	if le {
		order, b = binary.LittleEndian, []byte{0xFF, 0xFE}
	}
	for _, u := range units {
		b = order.AppendUint16(b, u)
	}
	return b
}

func TestAppendJSONString(t *testing.T) {
	for _, v := range []string{"", "plain text", `say "hi"`, `back\slash`, "tab\there", "Zoë 😀", "\x00\x1f"} {
		if got, want := string(appendJSONString(nil, v)), string(api.AppendString(nil, v)); got != want {
			t.Errorf("%q: %s, want %s", v, got, want)
		}
	}
	// needsEscape reads eight bytes at a time: every byte value at every
	// position of a word and of the tail gives the byte loop's answer.
	for n := 1; n <= 19; n++ {
		for pos := range n {
			for c := range 256 {
				v := []byte(strings.Repeat("aé~", 7)[:n])
				v[pos] = byte(c)
				want := false
				for _, x := range v {
					want = want || x < 0x20 || x == '"' || x == '\\'
				}
				if got := needsEscape(string(v)); got != want {
					t.Fatalf("needsEscape(%q) = %v, want %v", v, got, want)
				}
			}
		}
	}
}
