// Package destination says where a dialed number goes: the country or
// international network it reaches and its number type (fixed, mobile,
// toll-free, premium rate, shared cost, satellite, ...), and the risk tier
// a deployment gives that destination.
//
// The knowledge comes from libphonenumber's metadata
// (github.com/nyaruka/phonenumbers, pinned in tools/destgen), compiled at
// generation time into one deterministic automaton over the digits of a
// national significant number per country calling code: no regular
// expression runs here. The compiled data is a separate, versioned and
// checksummed artifact (data/destinations.bin) that every host loads the
// same way — native Go embeds it (package data); the WebAssembly module is
// to be given it by its host (not wired yet: core/dialplan/region_wasm.go)
// — and Load turns those bytes into a Table.
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
