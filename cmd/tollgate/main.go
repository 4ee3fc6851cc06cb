// Command tollgate checks voicemail PINs, web passwords and dialed numbers
// against Cisco Unity Connection, Unified CM, Exchange UM and NIST rules,
// audits bulk exports, and serves the same verdicts over HTTP.
//
// Each subcommand lives in its own file and registers itself; main only
// calls run, which tests call directly.
package main

import (
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

// Exit statuses shared by every subcommand.
const (
	exitOK      = 0 // accepted / allowed / verified / nothing found
	exitRefused = 1 // refused / blocked / not verified / findings
	exitUsage   = 2 // usage or configuration error
)

// command is one subcommand. run gets the arguments after the subcommand
// name and returns the exit status.
type command struct {
	name    string
	summary string
	run     func(args []string, stdin io.Reader, stdout, stderr io.Writer) int
	// subcommands are the names run takes as its first argument, each
	// with flags and a --help of its own (tollgate hash make --help).
	subcommands []string
}

var commands = map[string]*command{}

func register(c *command) {
	if _, dup := commands[c.name]; dup {
		panic("tollgate: duplicate command " + c.name)
	}
	commands[c.name] = c
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return exitUsage
	}
	switch args[0] {
	case "-h", "--help", "help":
		if len(args) > 1 && args[0] == "help" {
			if c, ok := commands[args[1]]; ok {
				// tollgate help hash make: the subcommand's own help.
				return c.run(append(args[2:len(args):len(args)], "--help"), stdin, stdout, stderr)
			}
		}
		usage(stdout)
		return exitOK
	case "--version", "version":
		fmt.Fprintln(stdout, versionLine())
		return exitOK
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "tollgate: unknown command %q\n\n", args[0])
		usage(stderr)
		return exitUsage
	}
	return c.run(args[1:], stdin, stdout, stderr)
}

func usage(w io.Writer) {
	names := make([]string, 0, len(commands))
	width := 0
	for n := range commands {
		names = append(names, n)
		width = max(width, len(n))
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString("tollgate checks voicemail PINs, passwords and dialed numbers against\n")
	b.WriteString("Unity Connection, Unified CM, Exchange UM and NIST 800-63B rules.\n\n")
	b.WriteString("Usage: tollgate COMMAND [flags] [args]\n\nCommands:\n")
	for _, n := range names {
		fmt.Fprintf(&b, "  %-*s  %s\n", width, n, commands[n].summary)
	}
	b.WriteString("\nRun 'tollgate COMMAND --help' for a command's flags.\n")
	b.WriteString("Exit status: 0 accepted/allowed, 1 refused/blocked/findings, 2 usage or configuration error.\n")
	io.WriteString(w, b.String())
}
