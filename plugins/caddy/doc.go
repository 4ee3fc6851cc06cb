// Package tollgatecaddy is the Caddy v2 HTTP handler module
// http.handlers.tollgate: it checks named fields of a request — a new PIN,
// a new password, a forwarding number — with tollgate before the request
// reaches the upstream, answers 422 with the reasons as JSON when a field
// is refused, and passes the request through unchanged otherwise.
//
// It runs tollgate in process, on the embedded WebAssembly module (the
// default) or the native core, so a portal behind Caddy gets exactly the
// verdicts the CLI, the decision service and the browser module give.
//
// Build Caddy with it from a checkout (cmd/caddy is Caddy plus this
// module; xcaddy needs published module versions):
//
//	cd plugins/caddy && go build -o caddy ./cmd/caddy
//
// Caddyfile:
//
//	route /voicemail/pin {
//		tollgate {
//			policy cuc
//			pin new_pin {
//				extensions extension
//				first_name first_name
//				last_name last_name
//			}
//		}
//		reverse_proxy 127.0.0.1:8080
//	}
//
// See docs/api.md ("Caddy module") for every subdirective.
package tollgatecaddy
