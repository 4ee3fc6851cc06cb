package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"
)

// maxSecret bounds what `hash` reads from stdin: a PIN or a password, not
// a file.
const maxSecret = 4096

func init() {
	register(&command{
		name:    "hash",
		summary: "make or verify a stored-credential record ({SSHA}, PBKDF2, sha1:HEX, ...)",
		run:     runHash,
	})
}

const hashUsage = `Usage:
  tollgate hash make --scheme NAME [--iterations N] [--policy P]   (secret on stdin; prints the record)
  tollgate hash verify [--fips] [--json] [--scheme TARGET] [--iterations N] [--policy P] RECORD   (secret on stdin)

Schemes: {SHA} {SSHA} {SHA256} {SSHA256} {SHA384} {SSHA384} {SHA512} {SSHA512}
{MD5} {SMD5} {PBKDF2-SHA1} {PBKDF2-SHA256} {PBKDF2-SHA512} sha1:hex md5:hex.
The secret is read from stdin (one trailing newline is dropped) and never printed.
verify exits 0 when the secret verifies, 1 when it does not (any reason), 2 on
a usage error. --json prints {"verified", "reason", "scheme"} plus "rehash",
a fresh record in TARGET (default {PBKDF2-SHA256}), when migration is advised.
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

func hashFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("tollgate hash "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { io.WriteString(stderr, hashUsage+"\nFlags:\n"); fs.PrintDefaults() }
	return fs
}

// parseInterspersed parses flags placed before or after the positional
// arguments (tollgate hash verify RECORD --json), which flag.Parse alone
// stops at; "--" ends the flags.
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

// readSecret reads the secret from stdin, dropping one trailing newline.
func readSecret(stdin io.Reader) (string, error) {
	if stdin == nil {
		return "", fmt.Errorf("no secret on stdin")
	}
	b, err := io.ReadAll(io.LimitReader(stdin, maxSecret+2))
	if err != nil {
		return "", fmt.Errorf("reading the secret from stdin: %v", err)
	}
	b = bytes.TrimSuffix(b, []byte("\n"))
	b = bytes.TrimSuffix(b, []byte("\r"))
	if len(b) > maxSecret {
		return "", fmt.Errorf("secret on stdin longer than %d bytes", maxSecret)
	}
	return string(b), nil
}

func hashMake(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := hashFlags("make", stderr)
	scheme := fs.String("scheme", "", "scheme of the record to make (required)")
	iterations := fs.Int("iterations", 0, "PBKDF2 iteration count, 1000..1000000 (default: the policy's hash.iterations, 600000)")
	policy := fs.String("policy", "", policyFlagUsage+"; its hash.iterations applies")
	engine := engineFlag(fs)
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return exitUsage
	}
	if *scheme == "" || len(pos) != 0 {
		fmt.Fprintln(stderr, "tollgate hash make: want --scheme NAME and no arguments (the secret comes on stdin)")
		return exitUsage
	}
	secret, err := readSecret(stdin)
	if err == nil && secret == "" {
		err = fmt.Errorf("no secret on stdin")
	}
	if err != nil {
		fmt.Fprintln(stderr, "tollgate hash make:", err)
		return exitUsage
	}
	pol, err := hashPolicy(*policy)
	if err != nil {
		fmt.Fprintln(stderr, "tollgate hash make:", err)
		return exitUsage
	}
	req, _ := json.Marshal(struct {
		Scheme     string          `json:"scheme"`
		Secret     string          `json:"secret"`
		Iterations int             `json:"iterations,omitempty"`
		Policy     json.RawMessage `json:"policy,omitempty"`
	}{*scheme, secret, *iterations, pol})
	res, code := callOp(*engine, "hash.make", req, "tollgate hash make", stderr)
	if code != exitOK {
		return code
	}
	var out struct {
		Record string `json:"record"`
	}
	if err := json.Unmarshal(res, &out); err != nil || out.Record == "" {
		fmt.Fprintln(stderr, "tollgate hash make: unexpected response from the engine")
		return exitUsage
	}
	fmt.Fprintln(stdout, out.Record)
	return exitOK
}

func hashVerify(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := hashFlags("verify", stderr)
	fips := fs.Bool("fips", false, "Unity Connection FIPS mode: only SHA-family records verify; MD5 records are fips_legacy_hash")
	asJSON := fs.Bool("json", false, `print {"verified", "reason", "scheme"[, "rehash"]}`)
	target := fs.String("scheme", "", "scheme records should be in; a verified record in another one gets a fresh record (rehash)")
	iterations := fs.Int("iterations", 0, "PBKDF2 iteration count records should have, 1000..1000000 (default: the policy's hash.iterations, 600000)")
	policy := fs.String("policy", "", policyFlagUsage+"; its hash.iterations applies")
	engine := engineFlag(fs)
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return exitUsage
	}
	if len(pos) != 1 {
		fmt.Fprintln(stderr, "tollgate hash verify: want exactly one RECORD argument (the secret comes on stdin)")
		return exitUsage
	}
	secret, err := readSecret(stdin)
	if err != nil {
		fmt.Fprintln(stderr, "tollgate hash verify:", err)
		return exitUsage
	}
	pol, err := hashPolicy(*policy)
	if err != nil {
		fmt.Fprintln(stderr, "tollgate hash verify:", err)
		return exitUsage
	}
	req, _ := json.Marshal(struct {
		Record     string          `json:"record"`
		Secret     string          `json:"secret"`
		FIPS       bool            `json:"fips,omitempty"`
		Scheme     string          `json:"scheme,omitempty"`
		Iterations int             `json:"iterations,omitempty"`
		Policy     json.RawMessage `json:"policy,omitempty"`
	}{pos[0], secret, *fips, *target, *iterations, pol})
	res, code := callOp(*engine, "hash.verify", req, "tollgate hash verify", stderr)
	if code != exitOK {
		return code
	}
	var out struct {
		Verified bool   `json:"verified"`
		Reason   string `json:"reason"`
		Scheme   string `json:"scheme"`
		Rehash   string `json:"rehash,omitempty"`
	}
	if err := json.Unmarshal(res, &out); err != nil || out.Reason == "" {
		fmt.Fprintln(stderr, "tollgate hash verify: unexpected response from the engine")
		return exitUsage
	}
	if *asJSON {
		b, _ := json.Marshal(out)
		fmt.Fprintf(stdout, "%s\n", b)
	} else {
		scheme := out.Scheme
		if scheme == "" {
			scheme = "unknown scheme"
		}
		if out.Verified {
			fmt.Fprintf(stdout, "verified (%s)\n", scheme)
		} else {
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

// hashPolicy is the --policy of the hash commands: nothing when not given
// (the api's default profile), else the policy reference.
func hashPolicy(v string) (json.RawMessage, error) {
	if v == "" {
		return nil, nil
	}
	p, err := resolvePolicy(v)
	if err != nil {
		return nil, err
	}
	return p.Doc, nil
}

// callOp runs one operation on the named engine; an error response or an
// engine that cannot start is a usage/configuration error (exit 2).
func callOp(engine, op string, req []byte, who string, stderr io.Writer) ([]byte, int) {
	c, err := openCaller(engine)
	if err != nil {
		fmt.Fprintf(stderr, "%s: engine %q: %v\n", who, engine, err)
		return nil, exitUsage
	}
	defer c.Close()
	res, err := c.Do(op, req)
	// An api error comes back as {"error": {...}}, with or without err,
	// depending on the engine.
	var e struct {
		Error *struct {
			Code    string `json:"code"`
			Message string `json:"message"`
			Field   string `json:"field"`
		} `json:"error"`
	}
	if json.Unmarshal(res, &e) == nil && e.Error != nil {
		msg := e.Error.Message
		if e.Error.Field != "" && !strings.Contains(msg, e.Error.Field) {
			msg = e.Error.Field + ": " + msg
		}
		fmt.Fprintf(stderr, "%s: %s\n", who, msg)
		return nil, exitUsage
	}
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", who, err)
		return nil, exitUsage
	}
	return res, exitOK
}
