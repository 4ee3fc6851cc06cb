package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	tollgate "github.com/tollgate/tollgate"
	"github.com/tollgate/tollgate/api"
)

func init() {
	register(&command{
		name:    "hash",
		summary: "make or verify a stored-credential record ({SSHA}, PBKDF2, sha1:HEX, ...)",
		run:     runHash,

		subcommands: []string{"make", "verify"},
	})
}

const hashUsage = `Usage:
  tollgate hash make --scheme NAME [--iterations N] [--policy P]   (secret on stdin; prints the record)
  tollgate hash verify [--fips] [--json] [--scheme TARGET] [--iterations N] [--policy P] --record-file FILE   (secret on stdin)
  tollgate hash verify [flags] -                   (record, then secret, on stdin)
  tollgate hash verify [flags] RECORD              (secret on stdin; RECORD is visible in ps)

Schemes: {SHA} {SSHA} {SHA256} {SSHA256} {SHA384} {SSHA384} {SHA512} {SSHA512}
{MD5} {SMD5} {PBKDF2-SHA1} {PBKDF2-SHA256} {PBKDF2-SHA512} sha1:hex md5:hex.
The secret is read from stdin (one trailing newline is dropped) and never printed;
at a terminal it is read without echo after a prompt on stderr (make asks twice).
verify takes the record from FILE (its one line), or with - from the first line
of stdin, the secret being the rest; a RECORD argument still works, with a
warning, since every user of the machine can read it in the process list.
verify exits 0 when the secret verifies, 1 when it does not (any reason), 2 on
a usage error. A record that cannot be read is "malformed" (or "unknown_scheme")
with what is wrong and where (detail), never the record itself. --json prints
{"verified", "reason", "scheme"} plus "rehash", a fresh record in TARGET
(default {PBKDF2-SHA256}), when migration is advised, and "detail".
PBKDF2 records are made with --iterations N (1000..1000000), else the policy's
hash.iterations (600000, OWASP's advice, in every profile); a verified PBKDF2
record with fewer is advised to be rehashed. Records of more than 1000000
iterations are refused (malformed): that caps the work of one verification.
`

func runHash(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		io.WriteString(stderr, hashUsage)
		return exitUsage
	}
	switch args[0] {
	case "make":
		return hashMake(args[1:], stdin, stdout, stderr)
	case "verify":
		return hashVerify(args[1:], stdin, stdout, stderr)
	case "-h", "--help", "help":
		io.WriteString(stdout, hashUsage)
		return exitOK
	}
	fmt.Fprintf(stderr, "tollgate hash: unknown subcommand %q\n\n%s", args[0], hashUsage)
	return exitUsage
}

func hashMake(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("tollgate hash make", flag.ContinueOnError)
	scheme := fs.String("scheme", "", "scheme of the record to make (required)")
	iterations := fs.Int("iterations", 0, "PBKDF2 iteration count, 1000..1000000 (default: the policy's hash.iterations, 600000)")
	policy := fs.String("policy", "", policyFlagUsage+"; its hash.iterations applies")
	engine := engineFlag(fs)
	pos, code, done := parseArgs(fs, args, hashUsage, stdout, stderr)
	if done {
		return code
	}
	if *scheme == "" || len(pos) != 0 {
		fmt.Fprintln(stderr, "tollgate hash make: want --scheme NAME and no arguments (the secret comes on stdin)")
		return exitUsage
	}
	secret, err := readNewSecret(stdin, stderr)
	if err == nil && secret == "" {
		err = fmt.Errorf("no secret on stdin")
	}
	if err != nil {
		fmt.Fprintln(stderr, "tollgate hash make:", err)
		return exitUsage
	}
	pa, err := hashPolicy(*policy)
	if err != nil {
		fmt.Fprintln(stderr, "tollgate hash make:", err)
		return exitUsage
	}
	req := &api.HashMakeRequest{Scheme: *scheme, Secret: secret, Iterations: *iterations}
	var rec api.HashRecord
	code = callHash(*engine, "tollgate hash make", pa, stderr, func(ctx context.Context, c *tollgate.Checker, pol api.PolicyRef) (err error) {
		req.Policy = pol
		rec, err = c.MakeHash(ctx, req)
		return err
	})
	if code != exitOK {
		return code
	}
	fmt.Fprintln(stdout, rec.Record)
	return exitOK
}

func hashVerify(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	const who = "tollgate hash verify"
	fs := flag.NewFlagSet(who, flag.ContinueOnError)
	fips := fs.Bool("fips", false, "Unity Connection FIPS mode: only SHA-family records verify; MD5 records are fips_legacy_hash")
	asJSON := fs.Bool("json", false, `print {"verified", "reason", "scheme"[, "rehash"][, "detail"]}`)
	target := fs.String("scheme", "", "scheme records should be in; a verified record in another one gets a fresh record (rehash)")
	recordFile := fs.String("record-file", "", "read the record from `FILE` (one line), which keeps it out of the process list")
	iterations := fs.Int("iterations", 0, "PBKDF2 iteration count records should have, 1000..1000000 (default: the policy's hash.iterations, 600000)")
	policy := fs.String("policy", "", policyFlagUsage+"; its hash.iterations applies")
	engine := engineFlag(fs)
	pos, code, done := parseArgs(fs, args, hashUsage, stdout, stderr)
	if done {
		return code
	}
	var record, secret string
	var err error
	switch {
	case *recordFile != "" && len(pos) == 0:
		if record, err = readRecordFile(*recordFile); err == nil {
			secret, err = readSecret(stdin, stderr)
		}
	case *recordFile == "" && len(pos) == 1 && pos[0] == "-":
		record, secret, err = readRecordAndSecret(stdin, stderr)
	case *recordFile == "" && len(pos) == 1:
		record = pos[0]
		fmt.Fprintf(stderr, "%s: warning: a record given as an argument is visible to every user of this machine (ps, /proc); use --record-file FILE, or - to read it from the first line of stdin\n", who)
		secret, err = readSecret(stdin, stderr)
	default:
		err = fmt.Errorf("want --record-file FILE, - (the record on the first line of stdin) or one RECORD argument (the secret comes on stdin)")
	}
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", who, err)
		return exitUsage
	}
	pa, err := hashPolicy(*policy)
	if err != nil {
		fmt.Fprintln(stderr, "tollgate hash verify:", err)
		return exitUsage
	}
	req := &api.HashVerifyRequest{Record: record, Secret: secret, FIPS: *fips, Scheme: *target, Iterations: *iterations}
	var out api.HashResult
	code = callHash(*engine, who, pa, stderr, func(ctx context.Context, c *tollgate.Checker, pol api.PolicyRef) (err error) {
		req.Policy = pol
		out, err = c.VerifyHash(ctx, req)
		return err
	})
	if code != exitOK {
		return code
	}
	if *asJSON {
		stdout.Write(append(api.Append(nil, &out), '\n'))
	} else {
		scheme := out.Scheme
		if scheme == "" {
			scheme = "unknown scheme"
		}
		switch {
		case out.Verified:
			fmt.Fprintf(stdout, "verified (%s)\n", scheme)
		case out.Detail != "":
			fmt.Fprintf(stdout, "not verified: %s (%s): %s\n", out.Reason, scheme, out.Detail)
		default:
			fmt.Fprintf(stdout, "not verified: %s (%s)\n", out.Reason, scheme)
		}
		if out.Rehash != "" {
			fmt.Fprintf(stdout, "rehash advised: %s\n", out.Rehash)
		}
	}
	if !out.Verified {
		return exitRefused
	}
	return exitOK
}

// hashPolicy is the --policy of the hash commands: nil when not given
// (the api's default profile), else the policy.
func hashPolicy(v string) (*policyArg, error) {
	if v == "" {
		return nil, nil
	}
	p, err := resolvePolicy(v)
	if err != nil {
		return nil, err
	}
	return &p, nil
}

// callHash opens the named engine, loads pa (when given) and runs call
// with it; an api error or an engine that cannot start is a usage or
// configuration error (exit 2).
func callHash(engine, who string, pa *policyArg, stderr io.Writer,
	call func(context.Context, *tollgate.Checker, api.PolicyRef) error) int {
	c, err := openChecker(engine)
	if err != nil {
		fmt.Fprintf(stderr, "%s: engine %q: %v\n", who, engine, err)
		return exitUsage
	}
	defer c.Close()
	ctx := context.Background()
	var pol api.PolicyRef
	if pa != nil {
		pol, err = pa.load(ctx, c)
	}
	if err == nil {
		err = call(ctx, c, pol)
	}
	var e *api.Error
	switch {
	case errors.As(err, &e):
		msg := e.Message
		if e.Field != "" && !strings.Contains(msg, e.Field) {
			msg = e.Field + ": " + msg
		}
		fmt.Fprintf(stderr, "%s: %s\n", who, msg)
		return exitUsage
	case err != nil:
		fmt.Fprintf(stderr, "%s: %v\n", who, err)
		return exitUsage
	}
	return exitOK
}
