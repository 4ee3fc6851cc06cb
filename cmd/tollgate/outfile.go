package main

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// The files audit and gen write (-o, --summary). An output is never one of
// the command's inputs (the same file by device and inode, so also through
// a symlink or a hard link): `audit -o users.csv users.csv` used to
// truncate the export before reading it. A regular file is written to a
// temporary file beside it and renamed into place when complete, so a run
// that fails or is killed leaves the old file or none, never half of one.
// Anything else (a terminal, /dev/null, a pipe or FIFO, /dev/stdout) is
// streamed to, and never created, truncated, chmod-ed or removed: the only
// file ever removed is a temporary file this process created.

// outFile is one output being written.
type outFile struct {
	flag   string // the flag that named it, for messages: "-o", "--summary"
	f      *os.File
	w      io.Writer
	tmp    string      // the temporary file renamed onto target; "" when streaming
	target string      // the file replaced (a symlink's target), or the path streamed to
	orig   os.FileInfo // what the path named when opened; nil if nothing
	excl   bool        // never replace an existing file (gen without --force)
	done   bool
}

// outOptions say what an output may be.
type outOptions struct {
	flag string
	perm fs.FileMode // of a new file (the umask applies)
	// keepMode replaces an existing file with the same permission bits
	// (a report); otherwise a replaced file gets perm (the PIN file's 0600).
	keepMode bool
	// excl refuses an existing file (gen without --force).
	excl bool
	// noDevices refuses character devices (terminals): gen writes PINs to
	// a file or a pipe only.
	noDevices bool
	// inputs are the files the command reads, others the outputs already
	// opened: the output may be none of them. stdout is "-".
	inputs []os.FileInfo
	others []*outFile
	stdout io.Writer
}

var (
	errSameFile = errors.New("is the input file: refusing to overwrite it")
	errDevice   = errors.New("is a terminal or device: PINs are written to a file or a pipe")
)

// createOut opens path for writing as o says.
func createOut(path string, o outOptions) (*outFile, error) {
	out := &outFile{flag: o.flag, target: path, excl: o.excl}
	if path == "-" {
		out.w, out.orig = o.stdout, fileInfo(o.stdout)
		return out, nil
	}
	fi, err := os.Stat(path) // follows symlinks: what would be written
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	if fi == nil {
		// Nothing there yet: only another new output could be the same.
		target, err := resolveLink(path)
		if err != nil {
			return nil, err
		}
		for _, other := range o.others {
			if other.orig == nil && samePath(other.target, target) {
				return nil, fmt.Errorf("%s is also %s", path, other.flag)
			}
		}
		if _, err := os.Lstat(path); err == nil && o.excl {
			return nil, fmt.Errorf("%s %w", path, fs.ErrExist) // a dangling symlink
		}
		return out.temp(target, o.perm)
	}
	for _, in := range o.inputs {
		if in != nil && os.SameFile(fi, in) {
			return nil, fmt.Errorf("%s %w", path, errSameFile)
		}
	}
	for _, other := range o.others {
		// Two outputs may share a stream (stdout, /dev/null), not a file.
		if other.tmp != "" && other.orig != nil && os.SameFile(fi, other.orig) {
			return nil, fmt.Errorf("%s is also %s", path, other.flag)
		}
	}
	out.orig = fi
	if fi.IsDir() {
		return nil, fmt.Errorf("%s is a directory", path)
	}
	if o.noDevices && fi.Mode()&fs.ModeCharDevice != 0 {
		return nil, fmt.Errorf("%s %w", path, errDevice)
	}
	if sfi := fileInfo(o.stdout); sfi != nil && os.SameFile(fi, sfi) {
		// /dev/stdout, /dev/fd/1, or the file stdout is: write to stdout
		// itself (opening it again would start at offset 0, over what the
		// shell wrote before).
		out.w = o.stdout
		return out, nil
	}
	if !fi.Mode().IsRegular() || openFileLink(path) {
		// A pipe, FIFO, socket or device, or an open file named through
		// /dev/fd or /proc: stream to it. No O_CREATE, no O_TRUNC, and it
		// is never chmod-ed or removed.
		f, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err != nil {
			return nil, err
		}
		out.f, out.w = f, f
		return out, nil
	}
	if o.excl {
		return nil, fmt.Errorf("%s %w", path, fs.ErrExist)
	}
	target, err := resolveLink(path)
	if err != nil {
		return nil, err
	}
	if !o.keepMode {
		return out.temp(target, o.perm)
	}
	out, err = out.temp(target, fi.Mode().Perm())
	if err == nil {
		// The umask applied to the new file: the old one's bits exactly.
		// (The temporary file is this process's own regular file.)
		err = out.f.Chmod(fi.Mode().Perm())
		if err != nil {
			out.abort()
		}
	}
	return out, err
}

// temp makes out write a temporary file beside target, to be renamed
// onto it by commit (through a symlink: the link stays, its target is
// replaced).
func (out *outFile) temp(target string, perm fs.FileMode) (*outFile, error) {
	f, tmp, err := createTemp(target, perm)
	if err != nil {
		return nil, err
	}
	out.f, out.w, out.tmp, out.target = f, f, tmp, target
	return out, nil
}

// commit closes the output and, for a regular file, renames the
// temporary file into place (with excl: only if the target still does
// not exist).
func (out *outFile) commit() error {
	if out.done {
		return nil
	}
	out.done = true
	if out.f == nil {
		return nil // stdout: the caller's
	}
	if out.tmp == "" {
		return out.f.Close()
	}
	err := out.f.Sync()
	if cerr := out.f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		if out.excl {
			// A link fails if the target appeared meanwhile: nothing is replaced.
			err = os.Link(out.tmp, out.target)
			if err != nil && !errors.Is(err, fs.ErrExist) {
				err = noClobberRename(out.tmp, out.target)
			}
		} else {
			err = os.Rename(out.tmp, out.target)
		}
	}
	os.Remove(out.tmp) // after a link or a failure; nothing left after a rename
	return err
}

// noClobberRename renames where hard links are not supported, after
// checking again that the target does not exist.
func noClobberRename(tmp, target string) error {
	if _, err := os.Lstat(target); err == nil {
		return fmt.Errorf("%s %w", target, fs.ErrExist)
	}
	return os.Rename(tmp, target)
}

// abort drops the output: a temporary file is removed, and the old file,
// if any, stays as it was. A stream is only closed.
func (out *outFile) abort() {
	if out.done {
		return
	}
	out.done = true
	if out.f == nil {
		return
	}
	out.f.Close()
	if out.tmp != "" {
		os.Remove(out.tmp)
	}
}

// createTemp creates a new file beside target with perm (less the umask,
// which the kernel applies), named so that what a killed run leaves is
// recognisable: .NAME.tmp-RANDOM.
func createTemp(target string, perm fs.FileMode) (*os.File, string, error) {
	dir, base := filepath.Split(target)
	for range 100 {
		var r [6]byte
		if _, err := rand.Read(r[:]); err != nil {
			return nil, "", err
		}
		tmp := filepath.Join(dir, "."+base+".tmp-"+hex.EncodeToString(r[:]))
		f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return nil, "", fmt.Errorf("cannot create a temporary file beside %s (the file is written there, then renamed into place): %w", target, err)
		}
		return f, tmp, nil
	}
	return nil, "", fmt.Errorf("cannot create a temporary file beside %s", target)
}

// resolveLink follows path while it is a symlink, so the rename replaces
// the file a link points to and not the link.
func resolveLink(path string) (string, error) {
	for range 40 {
		fi, err := os.Lstat(path)
		if err != nil || fi.Mode()&fs.ModeSymlink == 0 {
			return path, nil
		}
		link, err := os.Readlink(path)
		if err != nil {
			return "", err
		}
		if !filepath.IsAbs(link) {
			link = filepath.Join(filepath.Dir(path), link)
		}
		path = link
	}
	return "", fmt.Errorf("%s: too many levels of symbolic links", path)
}

// openFileLink reports whether path is, or links through, a name of an
// open file descriptor (/dev/fd/N, /dev/stdout, /proc/self/fd/N): a
// stream, even when it is a regular file.
func openFileLink(path string) bool {
	for range 40 {
		if strings.HasPrefix(path, "/dev/fd/") || strings.HasPrefix(path, "/proc/") || path == "/dev/stdout" || path == "/dev/stderr" {
			return true
		}
		link, err := os.Readlink(path)
		if err != nil {
			return false
		}
		if !filepath.IsAbs(link) {
			link = filepath.Join(filepath.Dir(path), link)
		}
		path = link
	}
	return false
}

// samePath compares the paths of two files that do not exist yet.
func samePath(a, b string) bool {
	a, errA := filepath.Abs(a)
	b, errB := filepath.Abs(b)
	return errA == nil && errB == nil && a == b
}

// fileInfo is w's FileInfo when w is a file (stdout), else nil.
func fileInfo(w any) os.FileInfo {
	if f, ok := w.(*os.File); ok && f != nil {
		if fi, err := f.Stat(); err == nil {
			return fi
		}
	}
	return nil
}

// inputInfo is the FileInfo of what a command reads: the file at path, or
// standard input when path is "-" and it is a file (`< users.csv`).
func inputInfo(path string, stdin io.Reader) os.FileInfo {
	if path == "-" {
		return fileInfo(stdin)
	}
	fi, _ := os.Stat(path)
	return fi
}
