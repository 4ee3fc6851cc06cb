package dialplan

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// BenchmarkParseTables measures reading a tables document: "decode" is the
// JSON decoding alone (Import of a tables document stops before
// compiling), "parse" decodes and compiles. The CUPI case reads the sample
// export. The -encoding-json cases are the readers jsonx replaced (test
// oracles now), for the ratio in one run.
func BenchmarkParseTables(b *testing.B) {
	for _, n := range []int{10, 1000} {
		doc, err := json.Marshal(benchDoc(n))
		if err != nil {
			b.Fatal(err)
		}
		b.Run("decode/rows="+strconv.Itoa(n), func(b *testing.B) {
			b.SetBytes(int64(len(doc)))
			b.ReportAllocs()
			for b.Loop() {
				d, err := Import("t.json", doc)
				if err != nil || len(d.Tables[0].Rows) != n {
					b.Fatal(err)
				}
			}
		})
		b.Run("decode-encoding-json/rows="+strconv.Itoa(n), func(b *testing.B) {
			b.SetBytes(int64(len(doc)))
			b.ReportAllocs()
			for b.Loop() {
				d, err := jsonDocument(doc)
				if err != nil || len(d.Tables[0].Rows) != n {
					b.Fatal(err)
				}
			}
		})
		if n > 10 {
			continue
		}
		b.Run("parse/rows="+strconv.Itoa(n), func(b *testing.B) {
			b.SetBytes(int64(len(doc)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Parse("t.json", doc); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	cupi, err := os.ReadFile(filepath.Join("..", "..", "testdata", "tables", "cupi-restrictiontable.json"))
	if err != nil {
		b.Fatal(err)
	}
	b.Run("cupi", func(b *testing.B) {
		b.SetBytes(int64(len(cupi)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := ImportCUPI("cupi.json", cupi); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("cupi-encoding-json", func(b *testing.B) {
		b.SetBytes(int64(len(cupi)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := refImportCUPI("cupi.json", cupi); err != nil {
				b.Fatal(err)
			}
		}
	})
}
