// Command caddy is Caddy v2 with its standard modules and tollgate's
// http.handlers.tollgate, built from this checkout:
//
//	cd plugins/caddy && go build -o caddy ./cmd/caddy
//	./caddy run --config Caddyfile
//
// (xcaddy needs published module versions; this is the same build without
// them.)
package main

import (
	caddycmd "github.com/caddyserver/caddy/v2/cmd"

	_ "github.com/caddyserver/caddy/v2/modules/standard"
	_ "github.com/tollgate/tollgate/plugins/caddy"
)

func main() {
	caddycmd.Main()
}
