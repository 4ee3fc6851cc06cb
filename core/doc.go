// Package core holds tollgate's rules: trivial-PIN and password checks per
// policy profile, restriction-table matching against toll fraud, stored
// credential verification with FIPS semantics, and the sign-in state machine.
//
// core is pure Go (the standard library and regexp2 only). It does no I/O,
// starts no goroutines and reads no clock or randomness: the caller passes
// time and random bytes in. It compiles natively and for GOOS=wasip1, and it
// knows nothing of WebAssembly; the wasm/ and host/ packages wrap it.
//
// No function in core ever puts a secret (PIN, password, hash) into a
// Verdict, a Reason, an error or a message.
package core
