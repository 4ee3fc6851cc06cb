// Package data holds tollgate's data artifacts for native programs,
// embedded in the binary. Importing it registers the destination data
// (destinations.bin, libphonenumber's metadata compiled by tools/destgen)
// with core/destination, so that restriction tables declaring a region
// can classify numbers. The WebAssembly module does not import this
// package: its host is to pass the same bytes in (not wired yet).
package data

import (
	_ "embed"

	"github.com/tollgate/tollgate/core/destination"
)

//go:generate go -C ../tools/destgen run . -out ../../data/destinations.bin -doc ../../docs/destinations.md

// Destinations is the destination data artifact (format and version in
// core/destination; contents in docs/destinations.md).
//
//go:embed destinations.bin
var Destinations []byte

func init() {
	t, err := destination.Load(Destinations)
	if err != nil {
		panic("data: embedded destinations.bin: " + err.Error())
	}
	destination.Register(t)
}
