//go:build tollgate_hostregex

package dialplan

// defaultRegex is none: this build leaves regexp2 out, and its program
// passes a compiler in Options.Regex.
var defaultRegex RegexCompiler
