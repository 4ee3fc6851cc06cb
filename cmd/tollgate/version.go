package main

import (
	"runtime"
	"runtime/debug"
	"strings"
)

// version names the build. `make build` sets it from `git describe`
// (-ldflags -X main.version=...; `make build VERSION=v1.2.0` overrides it);
// left empty, --version reports the module version the Go toolchain
// stamped into the binary: the tag for `go install ...@v1.2.0`, a
// pseudo-version or "(devel)" for a checkout.
var version string

// versionLine is what --version prints.
func versionLine() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		bi = nil
	}
	return formatVersion(version, bi)
}

// formatVersion renders "tollgate VERSION (revision REV, modified; GO OS/ARCH)"
// from the -X override and the build information; the revision and its
// modified flag are there when the toolchain stamped them (a build inside a
// git checkout with -buildvcs).
func formatVersion(override string, bi *debug.BuildInfo) string {
	v := override
	goVersion := runtime.Version()
	var rev, modified string
	goos, goarch := runtime.GOOS, runtime.GOARCH
	if bi != nil {
		if v == "" {
			v = bi.Main.Version
		}
		if bi.GoVersion != "" {
			goVersion = bi.GoVersion
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				modified = s.Value
			case "GOOS":
				goos = s.Value
			case "GOARCH":
				goarch = s.Value
			}
		}
	}
	if v == "" {
		v = "(devel)"
	}
	var b strings.Builder
	b.WriteString("tollgate ")
	b.WriteString(v)
	b.WriteString(" (")
	if rev != "" {
		b.WriteString("revision ")
		b.WriteString(rev[:min(12, len(rev))])
		if modified == "true" {
			b.WriteString(", modified")
		}
		b.WriteString("; ")
	}
	b.WriteString(goVersion)
	b.WriteString(" ")
	b.WriteString(goos)
	b.WriteString("/")
	b.WriteString(goarch)
	b.WriteString(")")
	return b.String()
}
