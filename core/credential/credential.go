// Package credential parses, verifies and makes stored-credential records
// (RFC 2307 / OpenLDAP schemes, PBKDF2, hex exports) with Unity
// Connection's FIPS semantics. It depends on nothing else in tollgate, so
// core's history rule can use it.
package credential

// Matches reports whether secret verifies against record outside FIPS mode.
// Scaffolding: replaced by the credentials work (issue 4).
func Matches(record, secret string) bool { return false }
