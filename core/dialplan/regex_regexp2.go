//go:build !tollgate_hostregex

package dialplan

import "github.com/dlclark/regexp2"

// defaultRegex is regexp2, bounded by RegexTimeout per match.
var defaultRegex RegexCompiler = func(pattern string) (Regex, error) {
	re, err := regexp2.Compile(pattern, regexp2.None)
	if err != nil {
		return nil, err
	}
	re.MatchTimeout = RegexTimeout
	return re, nil
}
