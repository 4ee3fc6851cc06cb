// Command datagen writes tollgate's data artifacts from their pinned
// sources (package datagen): `go generate` at the module root runs
//
//	go run ./internal/datagen/cmd/datagen -o wasm/passwords.tgd
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/tollgate/tollgate/internal/datagen"
)

func main() {
	out := flag.String("o", "wasm/passwords.tgd", "the artifact to write")
	flag.Parse()
	entries, err := datagen.Corpus()
	if err != nil {
		fmt.Fprintln(os.Stderr, "datagen:", err)
		os.Exit(1)
	}
	b, err := datagen.Passwords(entries)
	if err != nil {
		fmt.Fprintln(os.Stderr, "datagen:", err)
		os.Exit(1)
	}
	tmp := *out + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "datagen:", err)
		os.Exit(1)
	}
	if err := os.Rename(tmp, *out); err != nil {
		fmt.Fprintln(os.Stderr, "datagen:", err)
		os.Exit(1)
	}
	fmt.Printf("datagen: %s: %d bytes from %d entries of %s\n", *out, len(b), len(entries), datagen.CorpusPackage)
}
