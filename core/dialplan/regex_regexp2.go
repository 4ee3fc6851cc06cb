//go:build !tollgate_hostregex

package dialplan

import "github.com/dlclark/regexp2"

func init() {
	// Before any match: the period is a plain variable of regexp2's.
	regexp2.SetTimeoutCheckPeriod(RegexClockPeriod)
}

// defaultRegex is regexp2, bounded by RegexTimeout per match.
func defaultRegex(pattern string) (Regex, error) {
	re, err := regexp2.Compile(pattern, regexp2.None)
	if err != nil {
		return nil, err
	}
	re.MatchTimeout = RegexTimeout
	return re, nil
}
