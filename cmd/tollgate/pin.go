package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	tollgate "github.com/tollgate/tollgate"
	"github.com/tollgate/tollgate/api"
	"github.com/tollgate/tollgate/core"
)

func init() {
	register(&command{
		name:    "pin",
		summary: "check a voicemail PIN against a policy (exit 0 accepted, 1 refused)",
		run:     runPIN,
	})
}

const pinUsage = `Usage: tollgate pin [--policy NAME|FILE] [--min-length N] [--ext DIGITS]... [--first NAME]
                    [--last NAME] [--dob YYYY-MM-DD] [--previous PIN]... [--json] [--engine E] PIN|-

Checks a voicemail PIN against a policy: a built-in profile (cuc, the default;
cuc-esm, cucm, exchange-um, nist-800-63b-4) or a JSON policy file. Give - as
the PIN to read it from standard input (one line), which keeps it out of the
shell history and the process list; at a terminal it is read without echo,
after a "PIN: " prompt on standard error.

Exit status: 0 accepted, 1 refused, 2 usage or configuration error.
The PIN is never printed: the explanation marks the digits a reason concerns
with carets under a masked rendering (******).
`

// now is the clock the date rule's sliding window is taken from.
var now = time.Now

func runPIN(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	const who = "tollgate pin"
	fs := flag.NewFlagSet(who, flag.ContinueOnError)
	policy := fs.String("policy", "", policyFlagUsage+"; default cuc")
	minLength := fs.Int("min-length", 0, "override the policy's minimum PIN length (range-checked like a policy file)")
	var exts, previous listFlag
	fs.Var(&exts, "ext", "the user's primary extension, then alternates (repeatable); digits")
	first := fs.String("first", "", "the user's first name, for the dial-by-name rule")
	last := fs.String("last", "", "the user's last name, for the dial-by-name rule")
	dob := fs.String("dob", "", "the user's date of birth, YYYY-MM-DD, for the date rule")
	fs.Var(&previous, "previous", "an earlier PIN, newest first (repeatable), for the history rule")
	asJSON := fs.Bool("json", false, `print the verdict as one JSON object {"accepted", "reasons": [{"code", "message", "start", "end"}]}`)
	engine := engineFlag(fs)

	pos, help, err := splitSecretArgs(fs, args)
	if help {
		io.WriteString(stdout, pinUsage+"\nFlags:\n")
		fs.SetOutput(stdout)
		fs.PrintDefaults()
		return exitOK
	}
	if err == nil && len(pos) != 1 {
		err = fmt.Errorf("want exactly one PIN argument (or - to read it from standard input), got %d", len(pos))
	}
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\nRun 'tollgate pin --help' for usage.\n", who, err)
		return exitUsage
	}
	err = checkExtensions(exts)
	if err == nil {
		err = checkSecretList("--previous", previous)
	}
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", who, err)
		return exitUsage
	}
	if *dob != "" {
		if _, err := time.Parse(time.DateOnly, *dob); err != nil {
			fmt.Fprintf(stderr, "%s: --dob: want a date as YYYY-MM-DD\n", who)
			return exitUsage
		}
	}
	pa, err := resolvePolicy(*policy)
	if err == nil && flagSet(fs, "min-length") {
		pa, err = pa.withMinLength("pin", *minLength)
	}
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", who, err)
		return exitUsage
	}
	pin, err := secretArg(pos[0], stdin, stderr, "PIN")
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", who, err)
		return exitUsage
	}
	req := &api.PINRequest{
		PIN: pin,
		Context: api.PINContext{
			Extensions: exts, FirstName: *first, LastName: *last,
			DateOfBirth: *dob, Year: now().Year(), Previous: previous,
		},
	}
	return runCheck(who, "PIN", *engine, pin, pa, *asJSON, stdout, stderr,
		func(ctx context.Context, c *tollgate.Checker, pol api.PolicyRef) (api.Verdict, error) {
			req.Policy = pol
			return c.CheckPIN(ctx, req)
		})
}

// runCheck loads the policy into the engine, runs check with its handle
// and reports the verdict: as the api's JSON with --json, else as a short
// explanation.
func runCheck(who, what, engine, secret string, pa policyArg, asJSON bool, stdout, stderr io.Writer,
	check func(context.Context, *tollgate.Checker, api.PolicyRef) (api.Verdict, error)) int {
	c, err := openChecker(engine)
	if err != nil {
		fmt.Fprintf(stderr, "%s: --engine %s: %v\n", who, engine, err)
		return exitUsage
	}
	defer c.Close()
	ctx := context.Background()
	pol, err := pa.load(ctx, c)
	var v api.Verdict
	if err == nil {
		v, err = check(ctx, c, pol)
	}
	if err != nil {
		fmt.Fprintf(stderr, "%s: %s\n", who, pa.errorText(err))
		return exitUsage
	}
	if asJSON {
		stdout.Write(append(api.Append(nil, &v), '\n'))
	} else {
		io.WriteString(stdout, explainVerdict(what, pa.Label, utf8.RuneCountInString(secret), &v))
	}
	if v.Accepted {
		return exitOK
	}
	return exitRefused
}

// maskWidth bounds the masked rendering; longer secrets get their spans
// as character positions instead of a caret line.
const maskWidth = 64

// explainVerdict renders a verdict for a person. The secret itself never
// appears: only its length, as a row of asterisks, with carets under the
// characters each reason concerns.
func explainVerdict(what, policy string, length int, v *api.Verdict) string {
	var b strings.Builder
	if v.Accepted {
		fmt.Fprintf(&b, "%s accepted by policy %s.\n", what, policy)
		return b.String()
	}
	n := len(v.Reasons)
	fmt.Fprintf(&b, "%s refused by policy %s (%d %s):\n", what, policy, n, plural(n, "reason", "reasons"))
	drawn := length > 0 && length <= maskWidth
	if drawn {
		hasSpan := false
		for _, r := range v.Reasons {
			hasSpan = hasSpan || r.HasSpan
		}
		if hasSpan {
			fmt.Fprintf(&b, "  %s\n", strings.Repeat("*", length))
		}
	}
	// Reasons with a span first, their carets under the mask; then the rest.
	var rest []string
	for _, r := range v.Reasons {
		text := r.Message + " [" + string(r.Code) + "]"
		if !r.HasSpan {
			rest = append(rest, text)
			continue
		}
		start, end := max(0, min(r.Start, length)), max(0, min(r.End, length))
		if !drawn || end <= start {
			fmt.Fprintf(&b, "  - %s (characters %d to %d)\n", text, r.Start+1, r.End)
			continue
		}
		marks := strings.Repeat(" ", start) + strings.Repeat("^", end-start) + strings.Repeat(" ", length-end)
		fmt.Fprintf(&b, "  %s  %s\n", marks, text)
	}
	for _, text := range rest {
		fmt.Fprintf(&b, "  - %s\n", text)
	}
	return b.String()
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// splitSecretArgs parses the flags of a command whose argument is a
// secret. Flags may come before or after the argument; "--" ends them. No
// argument is ever echoed in an error, because a mistyped one may be the
// secret (a password starting with "-"): an unknown flag is reported by
// position, with a suggestion taken from the known flag names.
func splitSecretArgs(fs *flag.FlagSet, args []string) (pos []string, help bool, err error) {
	var flags []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			pos = append(pos, args[i+1:]...)
			break
		}
		if len(a) < 2 || a[0] != '-' {
			pos = append(pos, a)
			continue
		}
		name, value, hasValue := strings.Cut(strings.TrimPrefix(strings.TrimPrefix(a, "-"), "-"), "=")
		if name == "h" || name == "help" {
			return nil, true, nil
		}
		f := fs.Lookup(name)
		if f == nil || strings.HasPrefix(a, "---") {
			msg := fmt.Sprintf("argument %d is not a known flag (not shown, in case it is a secret; put -- before a secret that starts with -)", i+1)
			if s := closestFlag(fs, name); s != "" {
				msg += "; did you mean --" + s + "?"
			}
			return nil, false, errors.New(msg)
		}
		if bf, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && bf.IsBoolFlag() {
			flags = append(flags, a)
			continue
		}
		if !hasValue {
			if i+1 == len(args) {
				return nil, false, fmt.Errorf("--%s needs a value", name)
			}
			i++
			value = args[i]
		}
		if err := fs.Set(name, value); err != nil {
			// Only --min-length and the bool flags can fail to parse, and
			// their values are not secrets.
			return nil, false, fmt.Errorf("--%s: %v", name, err)
		}
	}
	fs.SetOutput(io.Discard)
	if err := fs.Parse(flags); err != nil {
		return nil, false, err
	}
	return pos, false, nil
}

// closestFlag suggests the known flag nearest to a mistyped name, or "".
func closestFlag(fs *flag.FlagSet, name string) string {
	best, bestD := "", 3
	fs.VisitAll(func(f *flag.Flag) {
		if d := core.NameDistance(name, f.Name); d < bestD {
			best, bestD = f.Name, d
		}
	})
	return best
}

// flagSet reports whether the named flag was given.
func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// listFlag is a repeatable string flag.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error {
	*l = append(*l, v)
	return nil
}

// checkExtensions accepts extensions of 1 to 40 digits. The message shows
// which --ext is wrong but not its value: a misplaced secret may be there.
func checkExtensions(exts []string) error {
	for i, e := range exts {
		if e == "" || len(e) > 40 || strings.Trim(e, "0123456789") != "" {
			return fmt.Errorf("--ext number %d: want 1 to 40 digits", i+1)
		}
	}
	return nil
}
