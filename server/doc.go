// Package server is tollgate's decision service: the HTTP JSON API that web
// portals, identity servers, PBXs and proxies ask before they accept a new
// PIN, password or forwarding number, or count a sign-in.
//
// Each route runs one api operation (docs/architecture.md) on an Engine —
// the wazero engine or the native one from package host, or any value with
// the same Do method — so the service answers exactly what the CLI, the
// browser module and the plugins answer:
//
//	POST /v1/pin            op "pin"
//	POST /v1/password       op "password"
//	POST /v1/dial           op "dial"         (optional "caller" → class of service)
//	POST /v1/hash/verify    op "hash.verify"
//	POST /v1/lint           op "lint"
//	POST /v1/signin/{user}  op "signin", with the user's state kept in a Store
//	GET  /healthz
//	GET  /metrics           Prometheus text format
//
// A request that names no policy (or no tables) gets the service's
// configured default: loaded once through the engine at New, and passed
// by handle, so a large document is not copied into every request. The
// body reaches the engine as the client sent it: the service reads it
// strictly (a key twice at any depth is refused) and splices its own
// members in (body.go), never re-encoding it. Sign-in events are stamped
// with the service's clock, and the events only an administrator may
// send need Config.AdminToken. Bodies are size-limited and must arrive
// within a deadline; the bearer tokens are compared in constant time.
// Logs are structured (log/slog) and never contain a request body, so
// never a secret. The API is documented in docs/api.md and
// docs/openapi.yaml, the threat model in docs/security.md.
package server
