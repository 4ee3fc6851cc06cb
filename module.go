// Package tollgate validates voicemail PINs, web passwords and dialed
// numbers against Cisco Unity Connection, Unified CM, Exchange UM and NIST
// rules. The rules live in core; this root package only carries the
// compiled WebAssembly module, so that hosts (host/, the CLI) can embed the
// one artifact that browsers and plugins run too.
package tollgate

import _ "embed"

// Module is wasm/tollgate.wasm, the committed build of ./wasm. go:embed
// cannot reach a parent directory, which is why it is embedded here, at the
// module root.
//
//go:embed wasm/tollgate.wasm
var Module []byte
