// Package host is tollgate's Go SDK: one Engine interface with two
// implementations that give byte-identical answers.
//
//   - The wasm engine (the default) runs the embedded wasm/tollgate.wasm —
//     the artifact browsers and plugins run — under wazero. It compiles the
//     module once per process (with an on-disk compilation cache in the user
//     cache directory, which can be switched off), keeps a pool of instances
//     sized to GOMAXPROCS, calls through CallWithStack, caps each instance's
//     memory, and discards an instance that trapped or panicked.
//   - The native engine runs the same api and core code compiled into the
//     host, with a pool of api sessions.
//
// Every operation is reachable through Do, which speaks exactly the api's
// JSON (docs/architecture.md); typed methods cover the common calls, and
// Dial/DialBatch use the module's scalar, allocation-free hot path.
//
// Handles returned by "policy.load" and "tables.load" are engine-wide: the
// engine logs every successful load and replays the log, in order, into any
// pooled instance before it serves a call, so the same handle names the same
// document on every instance (the api numbers handles sequentially, and a
// replay must reproduce the original response byte for byte or the instance
// is discarded).
//
// Time: requests are bounded in size and every guest operation does work
// bounded by its input, so a call cannot run away. Regular expressions
// (the regex dialect of restriction tables) run in the host, not in the
// module: the module imports regex_compile and regex_match (ABI v2) and
// this package answers them with regexp2 under the native core's 50 ms
// match timeout, which fires because it runs natively. So no call needs
// wazero's WithCloseOnContextDone (it costs 3–6× per call; it remains an
// option). The context is checked before a call and while waiting for an
// instance. docs/host.md has the details.
package engine
