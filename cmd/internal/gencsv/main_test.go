package main

import (
	"bufio"
	"bytes"
	"math/rand/v2"
	"os"
	"testing"
)

// The committed sample is exactly what the generator writes.
func TestSampleIsGenerated(t *testing.T) {
	want, err := os.ReadFile("../../../testdata/csv/sample-users.csv")
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	w := bufio.NewWriter(&b)
	g := &gen{r: rand.New(rand.NewPCG(6, 0x7011)), sample: true, hashes: true}
	if err := g.write(w, 300); err != nil {
		t.Fatal(err)
	}
	w.Flush()
	if !bytes.Equal(b.Bytes(), want) {
		t.Fatal("testdata/csv/sample-users.csv differs from the generator's output: run make audit-sample")
	}
}
