package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// Configuration of a long-running command (serve) comes from three
// places, in one order of precedence: a flag on the command line, then an
// environment variable, then a line of the configuration file, then the
// flag's default. Each flag --NAME has the variable TOLLGATE_NAME (upper
// case, '-' as '_': --store-timeout is TOLLGATE_STORE_TIMEOUT) and the
// file's setting NAME. The file is named by --config, else
// $TOLLGATE_CONFIG; it holds lines "NAME = VALUE" (a value may be in
// double quotes), blank lines and # comments. A name the command has no
// flag for, or one given twice, is an error with the file and the line.
// No secret has a flag, so none can be in the file or on the command line:
// secrets come in files (--token-file, --store-password-file) or in their
// own variables (TOLLGATE_TOKEN, TOLLGATE_STORE_PASSWORD).

// envName is the environment variable of a flag.
func envName(flagName string) string {
	return "TOLLGATE_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// maxConfigFile bounds a configuration file: settings, not a document.
const maxConfigFile = 64 << 10

// layerConfig sets every flag of fs that the command line did not set:
// from its environment variable, else from the configuration file (the
// flag "config", else $TOLLGATE_CONFIG; none is fine). lookup is
// os.LookupEnv, or a test's.
func layerConfig(fs *flag.FlagSet, lookup func(string) (string, bool)) error {
	onCommandLine := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { onCommandLine[f.Name] = true })
	fromEnv := map[string]bool{}
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		if err != nil || onCommandLine[f.Name] || f.Name == "config" {
			return
		}
		name := envName(f.Name)
		if v, ok := lookup(name); ok {
			if e := fs.Set(f.Name, v); e != nil {
				err = fmt.Errorf("$%s: not a valid value for --%s (%v)", name, f.Name, e)
				return
			}
			fromEnv[f.Name] = true
		}
	})
	if err != nil {
		return err
	}
	path := ""
	if f := fs.Lookup("config"); f != nil {
		path = f.Value.String()
	}
	if path == "" {
		path, _ = lookup("TOLLGATE_CONFIG")
	}
	if path == "" {
		return nil
	}
	b, err := readDocument("--config", path, maxConfigFile, true)
	if err != nil {
		return err
	}
	settings, err := parseConfig(path, b, fs)
	if err != nil {
		return err
	}
	for _, s := range settings {
		if onCommandLine[s.name] || fromEnv[s.name] {
			continue
		}
		if e := fs.Set(s.name, s.value); e != nil {
			return fmt.Errorf("%s:%d: %s: not a valid value (%v)", path, s.line, s.name, e)
		}
	}
	return nil
}

type setting struct {
	name, value string
	line        int
}

// parseConfig reads a configuration file's lines. Errors name the file
// and the line, and never repeat a value.
func parseConfig(path string, b []byte, fs *flag.FlagSet) ([]setting, error) {
	var out []setting
	seen := map[string]int{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 4096), maxConfigFile)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		name, value, ok := strings.Cut(line, "=")
		name, value = strings.TrimSpace(name), strings.TrimSpace(value)
		if !ok || name == "" {
			return nil, fmt.Errorf("%s:%d: want NAME = VALUE (a flag's name without --)", path, n)
		}
		name = strings.TrimPrefix(strings.TrimPrefix(name, "-"), "-")
		if fs.Lookup(name) == nil || name == "config" {
			return nil, fmt.Errorf("%s:%d: unknown setting %q: the settings are the flags of %s, without -- (see --help)", path, n, name, fs.Name())
		}
		if prev, dup := seen[name]; dup {
			return nil, fmt.Errorf("%s:%d: %s is already set on line %d", path, n, name, prev)
		}
		seen[name] = n
		if len(value) >= 2 && value[0] == '"' && value[len(value)-1] == '"' {
			v, err := strconv.Unquote(value)
			if err != nil {
				return nil, fmt.Errorf("%s:%d: %s: a value in double quotes must be a Go/JSON-style string", path, n, name)
			}
			value = v
		}
		out = append(out, setting{name, value, n})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	return out, nil
}

// lookupEnv is os.LookupEnv; a variable for tests.
var lookupEnv = os.LookupEnv
