// Package dialplan is tollgate's toll-fraud restriction-table engine: the
// table model (tables, rows, classes of service, trunk access codes), the
// dialect parsers (Unity Connection cuc, Unified CM cucm route patterns,
// Asterisk, Exchange UM number masks, regexp2 regular expressions), dialed
// number normalization, one compiled matcher per table, lint, the built-in
// default and recommended sets, and importers for CUPI JSON, Asterisk
// extensions.conf and Exchange UM dialing-rule strings.
//
// Every non-regex row of a table compiles into one deterministic automaton
// over the 13 keypad symbols (0-9 * # +), built by subset construction
// from the rows' position automata; each state records the first row (or,
// for a Unified CM closest-match table, every row) that accepts there. A
// number therefore costs one table lookup per key, whatever the number of
// rows. Regex rows keep their place: a table is a sequence of automaton
// runs and regex rows, tried in order. Trunk access codes add, for every
// blocked row P, twins CODE+P at P's own priority. An automaton that would
// need more than MaxStates states is refused (ErrTooComplex), never
// approximated.
//
// Table.Match is the hot path: raw bytes in, a Result of scalars out, no
// allocation (unless the table holds regex rows). Lint decides shadowing
// and bypasses exactly on the same automata.
//
// The package is pure Go (stdlib and regexp2): no I/O, no goroutines of
// its own, no clock (regexp2's match timeout keeps its own). The regex
// engine is replaceable (Options.Regex): the WebAssembly module builds
// without regexp2 and asks its host to run patterns. The file format and
// every dialect are described in docs/tables.md.
package dialplan
