// Package server is tollgate's decision service: the HTTP JSON API that web
// portals, identity servers, PBXs and proxies ask before they accept a new
// PIN, password or forwarding number, or count a sign-in. `tollgate serve`
// runs it; a Go program can mount it in its own server:
//
//	tg, _ := tollgate.New(ctx)
//	srv, _ := server.New(server.Config{Engine: tg, Policy: api.Profile("cuc")})
//	http.Handle("/", srv.Handler()) // or srv.Serve(ctx, listener)
//
// Each route runs one typed operation of the Config's engine
// (api.Operations: a *tollgate.Checker on either engine), so the service
// answers exactly what the CLI, the browser module and the plugins
// answer:
//
//	POST /v1/pin            CheckPIN
//	POST /v1/password       CheckPassword
//	POST /v1/dial           Dial         (optional "caller" → class of service, through the Directory)
//	POST /v1/hash/verify    VerifyHash
//	POST /v1/lint           Lint
//	POST /v1/signin/{user}  SignIn, with the user's state kept in a Store
//	GET  /healthz
//	GET  /metrics           Prometheus text format
//
// Each body is decoded once, strictly, into the typed request (a key twice
// at any depth, an unknown field or data after the object is refused, in
// the api's words); the service fills in what the client left out in Go —
// its default policy or tables (loaded once at New and passed by handle),
// a caller's class of service, the sign-in event's time from the
// service's own clock, the stored state — calls the typed operation and
// encodes the typed answer once. Every answer of an operation, an error
// included, is a type of package api. The events only an administrator
// may send need Config.AdminToken. Bodies are size-limited and must arrive within a
// deadline, each operation has one too, and the bearer tokens are
// compared in constant time. With Config.Velocity, the dials the tables
// allow are also counted per caller and for the site, by destination
// tier, in sliding windows kept in the Store (CallCounter), and a call
// over a limit is refused with reason "velocity" (docs/tables.md). Logs
// are structured (log/slog) and never contain a request body, so never a
// secret. The API is documented in docs/api.md and docs/openapi.yaml, the
// threat model in docs/security.md.
package server
