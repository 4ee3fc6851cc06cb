// Package api is the JSON form of every tollgate operation: the request and
// response shapes and the dispatcher that runs them against core.
//
// The same dispatcher runs natively (the host's native engine, the CLI, the
// decision service) and inside the WebAssembly module (and so in wazero,
// Node and browsers). One wire format, one set of decoding rules: this is
// what the conformance corpus in testdata/vectors is written in, and why a
// case that passes on one host passes on all of them.
//
// Requests are decoded strictly, by hand-written readers over
// internal/jsonx (decode.go): an unknown field, a field given twice, a
// wrong type or trailing data is a bad_request whose field is the full
// path. The package uses neither encoding/json nor fmt nor reflect, which
// would not fit the module's size budget. Responses never contain a secret.
package api
