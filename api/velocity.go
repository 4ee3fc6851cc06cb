package api

// DialVelocity is the decision service's own dial reason (never an
// engine's): the tables allow the number, and one more call would pass a
// velocity limit (server.Velocity, docs/tables.md "Velocity"); Table, Row
// and Pattern are the row that allowed it. It lives in a file of its own,
// beside the engines' reasons (DialMatched, ...), because the module
// never answers it.
const DialVelocity DialReason = "velocity"
