package dialplan

import "errors"

// Regex is a compiled pattern of the regex dialect. MatchString reports
// whether the whole-or-partial match semantics of the engine find the
// pattern in s (regexp2's, unanchored unless the pattern anchors itself);
// an error means the match was abandoned (its time ran out) and the row
// decides nothing: the number is refused with the timeout reason.
type Regex interface {
	MatchString(s string) (bool, error)
}

// RegexCompiler compiles regex-dialect patterns.
type RegexCompiler func(pattern string) (Regex, error)

// errNoRegexEngine is the reason a regex row is refused without an engine.
var errNoRegexEngine = errors.New("this build of tollgate has no regular-expression engine")

// compileRegex compiles with o.Regex, or the build's default: regexp2
// with a RegexTimeout match timeout (regex_regexp2.go), or none in a build
// with the tag tollgate_hostregex (the WebAssembly module, which passes a
// compiler that hands patterns to its host). Without one a regex row is
// refused with ErrUnsupported.
func (o *Options) compileRegex(pattern string) (Regex, error) {
	c := o.Regex
	if c == nil {
		c = defaultRegex
	}
	if c == nil {
		return nil, errNoRegexEngine
	}
	return c(pattern)
}
