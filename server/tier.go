package server

import "github.com/tollgate/tollgate/api"

// dialTier is the risk tier of an allowed dial's destination, which the
// velocity limits are by (api.Destination.Tier: low, medium, high): ""
// when the tables document declares no region, and then only the limits
// for tier "any" apply.
func dialTier(d *api.DialResult) string { return d.Destination.Tier }
