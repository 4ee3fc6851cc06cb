package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	tollgate "github.com/tollgate/tollgate"
	"github.com/tollgate/tollgate/api"
)

func init() {
	register(&command{
		name:    "password",
		summary: "check a web-application password against a policy (exit 0 accepted, 1 refused)",
		run:     runPassword,
	})
}

const passwordUsage = `Usage: tollgate password [--policy NAME|FILE] [--min-length N] [--alias ALIAS]
                         [--ext DIGITS]... [--old PASSWORD] [--previous PASSWORD]...
                         [--json] [--engine E] PASSWORD|-

Checks a web-application (Cisco PCA) password against a policy: a built-in
profile (cuc, the default; cuc-esm, cucm, exchange-um, nist-800-63b-4) or a
JSON policy file. Give - as the password to read it from standard input (one
line), which keeps it out of the shell history and the process list (at a
terminal it is read without echo, after a prompt on standard error); a
password that starts with - must follow -- or come on standard input.

Exit status: 0 accepted, 1 refused, 2 usage or configuration error.
The password is never printed: the explanation marks the characters a reason
concerns with carets under a masked rendering (********).
`

func runPassword(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	const who = "tollgate password"
	fs := flag.NewFlagSet(who, flag.ContinueOnError)
	policy := fs.String("policy", "", policyFlagUsage+"; default cuc")
	minLength := fs.Int("min-length", 0, "override the policy's minimum password length (range-checked like a policy file)")
	alias := fs.String("alias", "", "the user's alias (user name), for the alias rules")
	var exts, previous listFlag
	fs.Var(&exts, "ext", "the user's primary extension, then alternates (repeatable); digits")
	old := fs.String("old", "", "the password being replaced, for the character-changes rule")
	fs.Var(&previous, "previous", "an earlier password, newest first (repeatable), for the history rule")
	asJSON := fs.Bool("json", false, `print the verdict as one JSON object {"accepted", "reasons": [{"code", "message", "start", "end"}]}`)
	engine := engineFlag(fs)

	pos, help, err := splitSecretArgs(fs, args)
	if help {
		io.WriteString(stdout, passwordUsage+"\nFlags:\n")
		fs.SetOutput(stdout)
		fs.PrintDefaults()
		return exitOK
	}
	if err == nil && len(pos) != 1 {
		err = fmt.Errorf("want exactly one PASSWORD argument (or - to read it from standard input), got %d", len(pos))
	}
	if err == nil {
		err = checkExtensions(exts)
	}
	if err == nil {
		err = checkSecretList("--previous", previous)
	}
	if err == nil {
		err = checkText([]byte(*old), "--old")
	}
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\nRun 'tollgate password --help' for usage.\n", who, err)
		return exitUsage
	}
	pa, err := resolvePolicy(*policy)
	if err == nil && flagSet(fs, "min-length") {
		pa, err = pa.withMinLength("password", *minLength)
	}
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", who, err)
		return exitUsage
	}
	pw, err := secretArg(pos[0], stdin, stderr, "password")
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", who, err)
		return exitUsage
	}
	req := &api.PasswordRequest{
		Password: pw,
		Context: api.PasswordContext{
			Alias: *alias, Extensions: exts, Old: *old, Previous: previous,
		},
	}
	return runCheck(who, "Password", *engine, pw, pa, *asJSON, stdout, stderr,
		func(ctx context.Context, c *tollgate.Checker, pol api.PolicyRef) (api.Verdict, error) {
			req.Policy = pol
			return c.CheckPassword(ctx, req)
		})
}
