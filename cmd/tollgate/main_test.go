package main

import (
	"bytes"
	"sort"
	"strings"
	"testing"
)

// TestHelpEverySubcommand asks every registered command, and every
// subcommand it declares, for help in each way a user may: -h, --help and
// "tollgate help NAME". Help is not an error: usage and flags on stdout,
// nothing on stderr, exit status 0 (hash make --help used to exit 2 with
// the usage on stderr; audit, gen and serve printed it on stderr).
func TestHelpEverySubcommand(t *testing.T) {
	var names [][]string
	for n, c := range commands {
		names = append(names, []string{n})
		for _, s := range c.subcommands {
			names = append(names, []string{n, s})
		}
	}
	sort.Slice(names, func(i, j int) bool { return strings.Join(names[i], " ") < strings.Join(names[j], " ") })
	if len(names) < 10 {
		t.Fatalf("only %d commands registered: %v", len(names), names)
	}
	for _, name := range names {
		full := strings.Join(name, " ")
		leaf := len(commands[name[0]].subcommands) == 0 || len(name) == 2
		for _, args := range [][]string{
			append(name[:len(name):len(name)], "--help"),
			append(name[:len(name):len(name)], "-h"),
			append([]string{"help"}, name...),
		} {
			t.Run(strings.Join(args, " "), func(t *testing.T) {
				var stdout, stderr bytes.Buffer
				code := run(args, strings.NewReader(""), &stdout, &stderr)
				if code != exitOK {
					t.Errorf("exit status %d, want 0", code)
				}
				if stderr.Len() > 0 {
					t.Errorf("stderr: %q, want nothing", stderr.String())
				}
				out := stdout.String()
				if !strings.HasPrefix(out, "Usage:") || !strings.Contains(out, "tollgate "+full) {
					t.Errorf("stdout does not start with the usage of tollgate %s:\n%s", full, out)
				}
				// A command that takes flags lists them; every one that runs
				// the rules takes --engine (srsv runs none: it manages tokens).
				if leaf && (!strings.Contains(out, "\nFlags:\n") || (!strings.Contains(out, "-engine") && name[0] != "srsv")) {
					t.Errorf("help lists no flags:\n%s", out)
				}
			})
		}
	}
}

// A flag error stays a usage error, on stderr with a pointer to --help
// (pin and password do not echo the argument: it may be a secret).
func TestFlagErrorEverySubcommand(t *testing.T) {
	for n, c := range commands {
		names := [][]string{{n}}
		if len(c.subcommands) > 0 {
			names = nil
			for _, s := range c.subcommands {
				names = append(names, []string{n, s})
			}
		}
		for _, name := range names {
			args := append(name[:len(name):len(name)], "--no-such-flag")
			var stdout, stderr bytes.Buffer
			code := run(args, strings.NewReader(""), &stdout, &stderr)
			if code != exitUsage || stdout.Len() > 0 || !strings.Contains(stderr.String(), "--help") {
				t.Errorf("%v: exit %d, stdout %q, stderr %q; want 2 and the error on stderr", args, code, stdout.String(), stderr.String())
			}
		}
	}
}
