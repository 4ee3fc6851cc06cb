package server

import "github.com/tollgate/tollgate/api"

// dialTier is the risk tier of an allowed dial's destination, which the
// velocity limits are by: "" when the tables document declares no region
// (only limits for tier "any" apply then).
func dialTier(d *api.DialResult) string { return "" }
