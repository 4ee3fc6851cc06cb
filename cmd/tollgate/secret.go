package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"unicode/utf8"

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

// maxSecret bounds a secret read from standard input: a PIN or a
// password, not a file.
const maxSecret = 4096

// maxSecretLine bounds the line read from standard input for "-".
const maxSecretLine = maxSecret

// checkText refuses a secret that is not valid UTF-8, naming where the
// first bad byte is (1-based) but never the byte. what says where the
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
	return errors.New(what + " is not valid UTF-8 text (byte " + strconv.Itoa(i+1) +
		"): tollgate hashes and compares secrets as UTF-8 text on every host and never repairs one (docs/security.md)")
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
// when the argument is "-": one line, its line ending dropped.
func secretArg(arg string, stdin io.Reader, what string) (string, error) {
	if arg != "-" {
		if err := checkText([]byte(arg), "the "+what+" argument"); err != nil {
			return "", err
		}
		return arg, nil
	}
	if stdin == nil {
		return "", fmt.Errorf("no %s on standard input", what)
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
func readRecordAndSecret(stdin io.Reader) (record, secret string, err error) {
	if stdin == nil {
		return "", "", fmt.Errorf("no record on stdin")
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
	secret, err = readSecret(r)
	return record, secret, err
}
