// Package auditcore is the audit's per-row core: everything `tollgate
// audit` does with one row of a user export once its fields are known —
// the column layout's reading of the row, the PIN, password, stored-record
// and number checks, the keyed digests that count shared PINs, and the
// record it emits — and the compact encodings that carry rows and records
// across the WebAssembly boundary.
//
// It does no I/O, starts no goroutine and reads no clock but the
// calibration the host asks for, so the same code runs in two places:
// natively, under package audit (the host: the input, the two passes, the
// workers, the sinks, the summary), and inside wasm/tollgate.wasm, where
// the module's audit operations run it against the module's own
// api.Session (docs/abi.md, "Audit"). What decides the content of a record
// or a summary — codes, messages, field names, the order of findings, the
// summary's JSON — is here, so that every host writes the same bytes; a
// host only moves bytes and merges counts. docs/audit.md describes the
// audit, docs/abi.md the encodings.
//
// The package links neither fmt, reflect nor encoding/json: it is part of
// the module, whose size is budgeted (TestModuleDependencies).
package auditcore
