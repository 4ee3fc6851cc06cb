module github.com/tollgate/tollgate

go 1.26

require (
	github.com/dlclark/regexp2 v1.12.0
	github.com/google/uuid v1.6.0
	github.com/tetratelabs/wazero v1.12.0
	golang.org/x/term v0.43.0
)

require golang.org/x/sys v0.44.0 // indirect
