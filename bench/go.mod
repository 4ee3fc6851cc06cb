module github.com/tollgate/tollgate/bench

go 1.26.0

replace github.com/tollgate/tollgate => ../

require (
	github.com/ccojocar/zxcvbn-go v1.0.4
	github.com/tollgate/tollgate v0.0.0
	github.com/wagslane/go-password-validator v0.3.0
)

require (
	github.com/dlclark/regexp2 v1.12.0 // indirect
	github.com/tetratelabs/wazero v1.12.0 // indirect
	golang.org/x/sys v0.48.0 // indirect
)
