package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
)

// Every subcommand answers -h and --help the same way: its usage and flags
// on standard output, exit status 0 (help asked for is not an error). A
// flag error goes to standard error with a pointer to --help, exit status 2.

// parseFlags parses a subcommand's flags up to its first positional
// argument (fs.Args holds the rest). done reports that the command should
// stop with code: after --help or a flag error. fs is named after the
// command ("tollgate dial").
func parseFlags(fs *flag.FlagSet, args []string, usage string, stdout, stderr io.Writer) (code int, done bool) {
	fs.SetOutput(io.Discard)
	return flagOutcome(fs, fs.Parse(args), usage, stdout, stderr)
}

// parseArgs is parseFlags for commands whose flags may also follow their
// positional arguments (tollgate hash verify RECORD --json), which it
// returns.
func parseArgs(fs *flag.FlagSet, args []string, usage string, stdout, stderr io.Writer) (pos []string, code int, done bool) {
	fs.SetOutput(io.Discard)
	pos, err := parseInterspersed(fs, args)
	code, done = flagOutcome(fs, err, usage, stdout, stderr)
	return pos, code, done
}

func flagOutcome(fs *flag.FlagSet, err error, usage string, stdout, stderr io.Writer) (int, bool) {
	switch {
	case err == nil:
		return 0, false
	case errors.Is(err, flag.ErrHelp):
		printUsage(fs, usage, stdout)
		return exitOK, true
	default:
		fmt.Fprintf(stderr, "%s: %v\nRun '%s --help' for usage.\n", fs.Name(), err, fs.Name())
		return exitUsage, true
	}
}

// printUsage writes usage and fs's flags with their defaults to w.
func printUsage(fs *flag.FlagSet, usage string, w io.Writer) {
	io.WriteString(w, usage+"\nFlags:\n")
	out := fs.Output()
	fs.SetOutput(w)
	fs.PrintDefaults()
	fs.SetOutput(out)
}

// parseInterspersed parses flags placed before or after the positional
// arguments, which flag.Parse alone stops at; "--" ends the flags.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if n := len(args) - len(rest); n > 0 && args[n-1] == "--" {
			return append(pos, rest...), nil
		}
		if len(rest) == 0 {
			return pos, nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}
