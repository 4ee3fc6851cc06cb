package audit

import (
	"bytes"
	"encoding/csv"
	"io"
	"unicode/utf8"

	"github.com/tollgate/tollgate/internal/textenc"
)

func readAllNoFatal(input []byte) []record {
	dec, err := textenc.NewReader(bytes.NewReader(input), "")
	if err != nil {
		return nil
	}
	cr := newCSVReader(dec)
	var out []record
	for {
		rec, _, err := cr.next(nil)
		if err != nil {
			if err != io.EOF {
				panic(err)
			}
			return out
		}
		out = append(out, rec)
	}
}

func validUTF8(s string) bool { return utf8.ValidString(s) }

func newCSVWriterForTest(w io.Writer) *csv.Writer { return csv.NewWriter(w) }
