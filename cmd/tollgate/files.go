package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strconv"

	"github.com/tollgate/tollgate/core"
)

// Every file the CLI reads whole (a policy, tables, a token, a record) is
// bounded, and must be a regular file: /dev/zero given as --tables used to
// end in a Go out-of-memory dump (issue 14, finding 15). Files read as a
// stream (an audit's export, dial --file, gen --in) may also be pipes, but
// never a device or a directory. Errors name the flag, the file and the
// limit.

// Limits on the files read whole.
const (
	// maxPolicyFile is a policy document's own limit.
	maxPolicyFile = core.MaxPolicyBytes
	// maxTablesFile bounds a tables file in any import format. A tables
	// document the wasm engine loads is at most 16 MiB (the ABI's
	// largest request); a CUPI export or an extensions.conf is more
	// verbose than the document made from it.
	maxTablesFile = 64 << 20
	// maxVelocityFile bounds a --velocity file: a few dozen limits.
	maxVelocityFile = 1 << 20
	// maxTokenFile bounds a bearer-token file: a token, not a document.
	maxTokenFile = 4 << 10
	// maxModuleFile bounds the .wasm TOLLGATE_WASM names; the embedded
	// module is under 4 MB.
	maxModuleFile = 64 << 20
)

// fileKind names what a non-regular file is, for messages.
func fileKind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a block device"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeSocket != 0:
		return "a socket"
	}
	return "not a regular file"
}

// sizeText renders a limit for people: "65536 bytes (64 KiB)".
func sizeText(n int64) string {
	s := strconv.FormatInt(n, 10) + " bytes"
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		s += " (" + strconv.FormatInt(n>>20, 10) + " MiB)"
	case n >= 1<<10 && n%(1<<10) == 0:
		s += " (" + strconv.FormatInt(n>>10, 10) + " KiB)"
	}
	return s
}

// readDocument reads the file a flag names ("--policy"), whole, refusing
// anything but a regular file of at most limit bytes. pipes also lets a
// named pipe or a socket through (bash's <(...) is one), still bounded.
func readDocument(flag, path string, limit int64, pipes bool) ([]byte, error) {
	// Stat before opening: opening a named pipe blocks until a writer
	// comes, and a device should not be opened at all.
	st, err := os.Stat(path)
	if err != nil {
		return nil, pathError(flag, path, err)
	}
	if err := documentMode(flag, path, st.Mode(), limit, pipes); err != nil {
		return nil, err
	}
	if st.Mode().IsRegular() && st.Size() > limit {
		return nil, fmt.Errorf("%s %s: %d bytes, more than the %s such a file may have", flag, path, st.Size(), sizeText(limit))
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, pathError(flag, path, err)
	}
	defer f.Close()
	// The path may have been replaced between Stat and Open.
	if st, err = f.Stat(); err != nil {
		return nil, pathError(flag, path, err)
	}
	if err := documentMode(flag, path, st.Mode(), limit, pipes); err != nil {
		return nil, err
	}
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, pathError(flag, path, err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%s %s: more than the %s such a file may have", flag, path, sizeText(limit))
	}
	return b, nil
}

// pathError renders an error of opening or reading path as
// "--flag PATH: no such file or directory", without Go's "open"/"stat".
func pathError(flag, path string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	if flag == "" {
		return fmt.Errorf("%s: %w", path, err)
	}
	return fmt.Errorf("%s %s: %w", flag, path, err)
}

func documentMode(flag, path string, m fs.FileMode, limit int64, pipes bool) error {
	if m.IsRegular() || pipes && m&(fs.ModeNamedPipe|fs.ModeSocket) != 0 {
		return nil
	}
	return fmt.Errorf("%s %s: %s, not a regular file: it is read whole, so it must be a regular file of at most %s",
		flag, path, fileKind(m), sizeText(limit))
}

// openStream opens a file read as a stream (an export, numbers, users),
// which may be a regular file or a pipe but not a device or a directory:
// /dev/zero or /dev/urandom would make an endless input of one endless
// line.
func openStream(flag, path string) (*os.File, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, pathError(flag, path, err)
	}
	if err := streamMode(flag, path, st.Mode()); err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, pathError(flag, path, err)
	}
	if st, err = f.Stat(); err == nil {
		err = streamMode(flag, path, st.Mode())
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

func streamMode(flag, path string, m fs.FileMode) error {
	if m.IsRegular() || m&(fs.ModeNamedPipe|fs.ModeSocket) != 0 {
		return nil
	}
	prefix := flag + " " + path
	if flag == "" {
		prefix = path
	}
	return errors.New(prefix + ": " + fileKind(m) + ": give a regular file, a pipe, or - for standard input")
}
