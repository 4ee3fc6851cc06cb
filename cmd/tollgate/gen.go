package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/tollgate/tollgate/audit"
	"github.com/tollgate/tollgate/export"
)

func init() {
	register(&command{
		name:    "gen",
		summary: "give every user of a CSV a unique random PIN valid under the policy (writes a 0600 file)",
		run:     runGen,
	})
}

const genUsage = `Usage: tollgate gen --in users.csv -o pins.csv [--policy P] [--length N] [--force] [--encoding E]

Reads users (alias, names, extension, alternate extensions, date of birth;
the audit's column names, see docs/audit.md) and writes Alias,Extension,PIN:
one random PIN per user from crypto/rand, valid under the policy in that
user's context, no two users alike. This is the unique-PIN provisioning the
Unity Connection security guide recommends instead of a template's default.
The input's encoding is detected as the audit's is (--encoding sets it); the
output is UTF-8.

The output holds secrets: it is created with mode 0600 and an existing file
is never overwritten without --force. Rows that cannot be read are skipped
and listed on stderr (exit status 1); exit status 2 when nothing could be
generated.
`

func runGen(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fset := flag.NewFlagSet("tollgate gen", flag.ContinueOnError)
	inPath := fset.String("in", "", "the users CSV (`FILE`, or - for standard input)")
	outPath := fset.String("o", "", "the PIN file to create (`FILE`)")
	policy := fset.String("policy", "cuc", "policy: a profile name or a JSON policy file")
	length := fset.Int("length", 0, "PIN length (0: the policy's minimum, at least 6)")
	force := fset.Bool("force", false, "overwrite FILE if it exists")
	encoding := encodingFlag(fset)
	engine := engineFlag(fset)
	pos, code, done := parseArgs(fset, args, genUsage, stdout, stderr)
	if done {
		return code
	}
	if len(pos) > 0 || *inPath == "" || *outPath == "" {
		fmt.Fprintln(stderr, "tollgate gen: want --in FILE and -o FILE, and no other argument")
		printUsage(fset, genUsage, stderr)
		return exitUsage
	}
	if *outPath == "-" {
		fmt.Fprintln(stderr, "tollgate gen: -o must name a file: PINs are not written to a terminal or a pipe")
		return exitUsage
	}
	enc, err := export.ParseEncoding(*encoding)
	if err != nil {
		fmt.Fprintf(stderr, "tollgate gen: --encoding: %v\n", err)
		return exitUsage
	}
	policyRef, policyFile, err := docArg("--policy", *policy)
	if err != nil {
		fmt.Fprintf(stderr, "tollgate gen: %v\n", err)
		return exitUsage
	}
	var in io.Reader = stdin
	name := "stdin"
	if *inPath != "-" {
		f, err := openStream("--in", *inPath)
		if err != nil {
			fmt.Fprintf(stderr, "tollgate gen: %v\n", err)
			return exitUsage
		}
		defer f.Close()
		in, name = f, *inPath
	}
	chk, err := openChecker(*engine)
	if err != nil {
		fmt.Fprintf(stderr, "tollgate gen: --engine: %v\n", err)
		return exitUsage
	}
	defer chk.Close()

	// The PIN file is never the input, never a terminal, and is written
	// beside itself and renamed into place (outfile.go): created 0600, an
	// existing file replaced only with --force, and on any error or
	// interrupt the old file (or none) is left, never half a PIN file.
	out, err := createOut(*outPath, outOptions{flag: "-o", perm: 0o600, excl: !*force, noDevices: true,
		inputs: []os.FileInfo{inputInfo(*inPath, stdin), docInfo(*policy)}, stdout: stdout})
	if errors.Is(err, fs.ErrExist) {
		fmt.Fprintf(stderr, "tollgate gen: %s exists: not overwritten (use --force)\n", *outPath)
		return exitUsage
	}
	if err != nil {
		fmt.Fprintf(stderr, "tollgate gen: -o: %v\n", err)
		return exitUsage
	}
	defer out.abort()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	st, err := audit.Generate(ctx, audit.GenConfig{
		Engine: chk, Policy: policyRef, Length: *length, Warn: stderr, Year: time.Now().Year(),
		Encoding: enc,
	}, name, in, out.w)
	if err == nil {
		err = out.commit()
	}
	if errors.Is(err, fs.ErrExist) {
		fmt.Fprintf(stderr, "tollgate gen: %s appeared while the PINs were made: not overwritten (use --force)\n", *outPath)
		return exitUsage
	}
	if err != nil {
		out.abort() // the temporary file goes; the old file, if any, stays
		if ctx.Err() != nil {
			fmt.Fprintf(stderr, "tollgate gen: interrupted: no PIN written to %s (a file there is as it was)\n", *outPath)
			return exitUsage
		}
		fmt.Fprintf(stderr, "tollgate gen: %s\n", documentError(err, policyFile, nil))
		return exitUsage
	}
	if out.tmp != "" {
		fmt.Fprintf(stderr, "tollgate gen: %d PINs written to %s (mode 0600)", st.Users, *outPath)
	} else {
		fmt.Fprintf(stderr, "tollgate gen: %d PINs written to %s", st.Users, *outPath)
	}
	if st.Skipped > 0 {
		fmt.Fprintf(stderr, "; %d rows skipped\n", st.Skipped)
		return exitRefused
	}
	fmt.Fprintln(stderr)
	return exitOK
}
