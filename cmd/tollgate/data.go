package main

// The embedded data artifacts: destination data for tables that declare a
// region (docs/tables.md, "Destinations").
import _ "github.com/tollgate/tollgate/data"
