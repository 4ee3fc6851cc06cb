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

// RegexEngine compiles regex-dialect patterns. The engine is fixed per
// program: by default regexp2 with a RegexTimeout match timeout
// (regex_regexp2.go); a build with the tag tollgate_hostregex leaves it nil
// so that the program can install one, as the WebAssembly module does to
// hand patterns to its host. With no engine a regex row is refused with
// ErrUnsupported.
var RegexEngine func(pattern string) (Regex, error)

// errNoRegexEngine is the reason a regex row is refused without an engine.
var errNoRegexEngine = errors.New("this build of tollgate has no regular-expression engine")

func compileRegex(pattern string) (Regex, error) {
	if RegexEngine == nil {
		return nil, errNoRegexEngine
	}
	return RegexEngine(pattern)
}
