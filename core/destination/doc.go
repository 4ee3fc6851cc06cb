// Package destination says where a dialed number goes: the country or
// international network it reaches and its number type (fixed, mobile,
// toll-free, premium rate, shared cost, satellite, ...), and the risk tier
// a deployment gives that destination.
//
// The knowledge comes from libphonenumber's metadata
// (github.com/nyaruka/phonenumbers, pinned in tools/destgen), compiled at
// generation time into one deterministic automaton over the digits of a
// national significant number per country calling code: no regular
// expression runs here. The compiled data is the payload of a separate,
// versioned and checksummed data artifact, "destinations"
// (wasm/destinations.tgd, a core/artifact container), that every host
// loads the same way — the Go host from tollgate.Data(), the JS package
// beside tollgate.js, both into the WebAssembly module through data_load —
// and Load turns the payload into a Table.
//
// A Table knows nothing of how a site dials. Table.Dialing adds that: the
// declared home country (its international prefix, say 011 or 00, and its
// trunk prefix, 1 or 0), the outside-line codes, and the tier policy. A
// Dialing classifies a raw dialed number in one pass over its keys with no
// allocation (Classify), and exposes the same automaton step by step
// (Start, Step, Class) so that lint can intersect it exactly with a
// restriction table's automaton.
//
// The package is pure: no I/O, no clock, no goroutines; a Table and a
// Dialing are immutable and safe for concurrent use.
package destination
