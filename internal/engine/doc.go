// Package engine runs tollgate's operations for the Go hosts, behind
// package tollgate's Checker: one Engine interface (api.Operations, the
// scalar dial path, Kind, Pools, Close) with two implementations that
// return the same Go values and the same errors.
//
//   - The native engine runs the api and core code compiled into the
//     program: one api.Session whose compiled documents are immutable and
//     shared by every goroutine, no JSON, and a gate that bounds the
//     expensive operations.
//   - The wasm engine runs wasm/tollgate.wasm, the artifact browsers and
//     plugins run, under wazero: compiled once per process (with an
//     on-disk compilation cache), two pools of instances (cheap and
//     expensive operations), each instance's memory capped, one encode and
//     one decode per crossing, and an instance that trapped, panicked or
//     was stopped at its deadline discarded.
//
// Handles returned by LoadPolicy and LoadTables are the engine's: the
// wasm engine keeps each document's body under an engine handle,
// content-addressed as api.Session keys documents, loads a document into
// an instance the first time a call there needs it, drops it from every
// instance once it is unloaded, and retries on a fresh instance a load
// that failed for what an instance already held, so that it never fails
// for good because of what it once loaded (docs/abi.md, "Handles across
// instances").
//
// Time: a call whose context ends is stopped on both engines (a Fault of
// kind FaultDeadline): the module polls its clock during long work and
// the engine's clock ends the call; the native session polls the context
// itself. Regular expressions (the regex dialect of restriction tables)
// run in the host under regexp2's match timeout, for the module through
// its imports (ABI v2). docs/engine.md has the details.
package engine
