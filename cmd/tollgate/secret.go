package main

import (
	"bufio"
	"bytes"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"unicode/utf8"

	"golang.org/x/term"

	"github.com/tollgate/tollgate/core/credential"
)

// Secrets (PINs, passwords, the secret of a hash record) reach the CLI on
// standard input, or as an argument where the command allows it. They must
// be UTF-8 text: every host carries them to the engine as JSON strings,
// which hold Unicode text and nothing else, and a byte that is not UTF-8
// would be replaced by U+FFFD on the way, so that "Kx93\xff" and
// "Kx93\xfe" became one secret (issue 14, finding 6). Such a secret is
// refused here with an error naming the byte, as the api refuses it on
// every host; see docs/security.md for why tollgate does not hash the raw
// bytes instead.
//
// When standard input is a terminal, a secret (and a record) is read
// without echo after a prompt on standard error, as passwd and slappasswd
// do: typed secrets used to appear on the screen (issue 14, finding 23).
// Input from a pipe or a file is read as before, without a prompt.

// terminal returns the file descriptor of stdin when it is a terminal.
func terminal(stdin io.Reader) (int, bool) {
	f, ok := stdin.(*os.File)
	if !ok {
		return 0, false
	}
	fd := int(f.Fd())
	return fd, term.IsTerminal(fd)
}

// readHidden writes prompt to stderr and reads one line from the terminal
// fd with echo off; what says what is read, for errors. An interrupt while
// echo is off restores the terminal before the process ends, which
// term.ReadPassword alone would leave silent.
func readHidden(fd int, prompt, what string, stderr io.Writer) ([]byte, error) {
	state, err := term.GetState(fd)
	if err != nil {
		return nil, fmt.Errorf("reading the %s from the terminal: %v", what, err)
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case <-sig:
			term.Restore(fd, state)
			io.WriteString(stderr, "\n")
			os.Exit(130)
		case <-done:
		}
	}()
	defer func() {
		signal.Stop(sig)
		close(done)
	}()
	io.WriteString(stderr, prompt)
	b, err := term.ReadPassword(fd)
	io.WriteString(stderr, "\n") // the Enter was not echoed either
	if err != nil {
		return nil, fmt.Errorf("reading the %s from the terminal: %v", what, err)
	}
	return b, nil
}

// readTerminalSecret reads a secret typed at the terminal, checked as one
// from a pipe is: at most maxSecret bytes, UTF-8.
func readTerminalSecret(fd int, prompt, what string, stderr io.Writer) (string, error) {
	b, err := readHidden(fd, prompt, what, stderr)
	if err != nil {
		return "", err
	}
	if len(b) > maxSecret {
		return "", fmt.Errorf("the %s typed is longer than %d bytes", what, maxSecret)
	}
	if err := checkText(b, "the "+what+" typed"); err != nil {
		return "", err
	}
	return string(b), nil
}

// readNewSecret is readSecret for hash make: at a terminal the secret is
// asked twice, as slappasswd does, since a typo would make a record of a
// secret nobody knows.
func readNewSecret(stdin io.Reader, stderr io.Writer) (string, error) {
	fd, ok := terminal(stdin)
	if !ok {
		return readSecret(stdin, stderr)
	}
	a, err := readTerminalSecret(fd, "New secret: ", "secret", stderr)
	if err != nil {
		return "", err
	}
	b, err := readTerminalSecret(fd, "Retype the new secret: ", "secret", stderr)
	if err != nil {
		return "", err
	}
	if subtle.ConstantTimeCompare([]byte(a), []byte(b)) != 1 {
		return "", fmt.Errorf("the two secrets typed differ")
	}
	return a, nil
}

// maxSecret bounds a secret read from standard input: a PIN or a
// password, not a file.
const maxSecret = 4096

// maxSecretLine bounds the line read from standard input for "-".
const maxSecretLine = maxSecret

// checkText refuses a secret that is not valid UTF-8, naming where the
// first bad byte is (its offset from 0, as every offset in an api error)
// but never the byte. what says where the
// secret came from ("the secret on standard input").
func checkText(b []byte, what string) error {
	if utf8.Valid(b) {
		return nil
	}
	i := 0
	for i < len(b) {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n == 1 {
			break
		}
		i += n
	}
	return errors.New(what + " is not valid UTF-8 text (at byte " + strconv.Itoa(i) +
		", counting from 0): tollgate hashes and compares secrets as UTF-8 text on every host and never repairs one (docs/security.md)")
}

// readSecret reads the secret from stdin, dropping one trailing newline;
// at a terminal, one line without echo.
func readSecret(stdin io.Reader, stderr io.Writer) (string, error) {
	if stdin == nil {
		return "", fmt.Errorf("no secret on stdin")
	}
	if fd, ok := terminal(stdin); ok {
		return readTerminalSecret(fd, "Secret: ", "secret", stderr)
	}
	b, err := io.ReadAll(io.LimitReader(stdin, maxSecret+2))
	if err != nil {
		return "", fmt.Errorf("reading the secret from stdin: %v", err)
	}
	b = trimLine(b)
	if len(b) > maxSecret {
		return "", fmt.Errorf("secret on stdin longer than %d bytes", maxSecret)
	}
	if err := checkText(b, "the secret on stdin"); err != nil {
		return "", err
	}
	return string(b), nil
}

// secretArg returns the secret given as an argument, or read from stdin
// when the argument is "-": one line, its line ending dropped; at a
// terminal, without echo after a prompt ("PIN: ") on stderr.
func secretArg(arg string, stdin io.Reader, stderr io.Writer, what string) (string, error) {
	if arg != "-" {
		if err := checkText([]byte(arg), "the "+what+" argument"); err != nil {
			return "", err
		}
		return arg, nil
	}
	if stdin == nil {
		return "", fmt.Errorf("no %s on standard input", what)
	}
	if fd, ok := terminal(stdin); ok {
		prompt := what
		if prompt != "PIN" {
			prompt = string(prompt[0]-'a'+'A') + prompt[1:]
		}
		return readTerminalSecret(fd, prompt+": ", what, stderr)
	}
	r := bufio.NewReaderSize(stdin, maxSecretLine+2)
	line, err := r.ReadSlice('\n')
	switch {
	case errors.Is(err, bufio.ErrBufferFull):
		return "", fmt.Errorf("the %s line on standard input is longer than %d bytes", what, maxSecretLine)
	case err == io.EOF && len(line) == 0:
		return "", fmt.Errorf("no %s on standard input", what)
	case err != nil && err != io.EOF:
		return "", fmt.Errorf("reading the %s from standard input: %v", what, err)
	}
	line = trimLine(line)
	if len(line) > maxSecretLine {
		return "", fmt.Errorf("the %s line on standard input is longer than %d bytes", what, maxSecretLine)
	}
	if err := checkText(line, "the "+what+" on standard input"); err != nil {
		return "", err
	}
	return string(line), nil
}

// checkSecretList refuses a value of a repeatable secret flag
// (--previous) that is not UTF-8, naming the flag and which one, not the
// value.
func checkSecretList(flag string, values []string) error {
	for i, v := range values {
		if err := checkText([]byte(v), flag+" number "+strconv.Itoa(i+1)); err != nil {
			return err
		}
	}
	return nil
}

// maxRecordLine bounds the line a record is read from: the longest record
// the api takes and a CRLF.
const maxRecordLine = credential.MaxRecordLen + 2

// trimLine drops one line ending (LF or CRLF).
func trimLine(b []byte) []byte {
	b = bytes.TrimSuffix(b, []byte("\n"))
	return bytes.TrimSuffix(b, []byte("\r"))
}

// readRecordFile reads hash verify's --record-file: one record on one
// line. A named pipe is fine (bash's <(...)), the read is bounded either
// way.
func readRecordFile(path string) (string, error) {
	b, err := readDocument("--record-file", path, maxRecordLine, true)
	if err != nil {
		return "", err
	}
	b = trimLine(b)
	switch {
	case len(b) == 0:
		return "", fmt.Errorf("--record-file %s is empty", path)
	case bytes.IndexByte(b, '\n') >= 0:
		return "", fmt.Errorf("--record-file %s holds more than one line; want one record on one line", path)
	}
	return string(b), nil
}

// readRecordAndSecret reads hash verify's "-": the record on the first
// line of stdin, the secret after it (readSecret's rules: the rest, one
// trailing newline dropped).
func readRecordAndSecret(stdin io.Reader, stderr io.Writer) (record, secret string, err error) {
	if stdin == nil {
		return "", "", fmt.Errorf("no record on stdin")
	}
	if fd, ok := terminal(stdin); ok {
		// The record is not a secret, but it is what an attacker cracks
		// offline: not echoed either.
		b, err := readHidden(fd, "Record: ", "record", stderr)
		switch {
		case err != nil:
			return "", "", err
		case len(b) == 0:
			return "", "", fmt.Errorf("no record typed")
		case len(b) > credential.MaxRecordLen:
			return "", "", fmt.Errorf("the record typed is longer than %d bytes", credential.MaxRecordLen)
		}
		secret, err = readTerminalSecret(fd, "Secret: ", "secret", stderr)
		return string(b), secret, err
	}
	r := bufio.NewReaderSize(stdin, maxRecordLine)
	line, err := r.ReadSlice('\n')
	switch {
	case errors.Is(err, bufio.ErrBufferFull):
		return "", "", fmt.Errorf("the record on the first line of stdin is longer than %d bytes", credential.MaxRecordLen)
	case err == io.EOF:
		return "", "", fmt.Errorf("want the record on the first line of stdin and the secret on the next; got one line")
	case err != nil:
		return "", "", fmt.Errorf("reading the record from stdin: %v", err)
	}
	if line = trimLine(line); len(line) == 0 {
		return "", "", fmt.Errorf("the first line of stdin is empty; want the record there and the secret on the next line")
	}
	record = string(line)
	secret, err = readSecret(r, stderr)
	return record, secret, err
}
