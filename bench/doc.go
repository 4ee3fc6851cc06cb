// Package bench runs tollgate's PIN and password checks side by side with
// the Go peers that exist — github.com/ccojocar/zxcvbn-go (the maintained
// zxcvbn port) and github.com/wagslane/go-password-validator (entropy
// only) — on the same inputs: speed (go test -bench .) and what each one
// detects of the seed examples (go test -run Detection -v).
//
// It is its own module so that the peers never enter tollgate's go.mod;
// the replace directive builds it against the working tree.
package bench
