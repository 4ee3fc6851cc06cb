// Command destgen compiles libphonenumber's metadata
// (github.com/nyaruka/phonenumbers, the version go.mod pins) into
// tollgate's "destinations" data artifact, wasm/destinations.tgd (a
// core/artifact container around core/destination's payload), and writes
// docs/destinations.md from it. It is a nested module so that the root
// module never depends on phonenumbers: `go generate` at the root runs it
// (module.go), and its tests fail when the committed files are stale or
// when the artifact disagrees with phonenumbers.
package main

import (
	"flag"
	"fmt"
	"os"
)

func main() {
	out := flag.String("out", "../../wasm/destinations.tgd", "artifact to write")
	doc := flag.String("doc", "../../docs/destinations.md", "generated document to write")
	flag.Parse()
	o, err := Generate()
	if err != nil {
		fmt.Fprintln(os.Stderr, "destgen:", err)
		os.Exit(1)
	}
	if err := os.WriteFile(*out, o.Artifact, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "destgen:", err)
		os.Exit(1)
	}
	if err := os.WriteFile(*doc, o.Doc, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "destgen:", err)
		os.Exit(1)
	}
	fmt.Printf("destgen: %s: %d bytes, %d states, %d classes, %d regions, %d calling codes\n", *out, len(o.Artifact), o.Stats.States, o.Stats.Classes, o.Stats.Regions, o.Stats.Codes)
}
