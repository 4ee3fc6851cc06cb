package credential

import (
	"bytes"
	"encoding/base64"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/tollgate/tollgate/internal/testenv"
)

// Interoperability with real implementations: Debian's slappasswd (package
// slapd, with its pw-sha2 module) and passlib's ldap_pbkdf2_* (package
// python3-passlib), which writes the format of OpenLDAP's contrib
// pw-pbkdf2 module (Debian does not package that module, so slappasswd
// cannot make PBKDF2 records here). `make test` installs both
// (mk/credentials.mk), and under it a missing tool fails the test instead
// of skipping it (internal/testenv).

func need(t *testing.T, what string, ok bool) {
	t.Helper()
	testenv.Need(t, what, ok, "make credentials-deps, or apt-get install slapd python3-passlib")
}

var interopSecrets = []string{"secret", "408408", "2580", "correct horse battery staple", "pässwörd", "Tr0ub4dor&3", "a"}

// slappasswdSchemes maps each scheme slappasswd makes to the options it
// needs (the SHA-2 schemes live in the pw-sha2 module).
var slappasswdSchemes = map[Scheme][]string{
	SHA: nil, SSHA: nil, MD5: nil, SMD5: nil,
	SHA256: sha2Module, SSHA256: sha2Module, SHA384: sha2Module,
	SSHA384: sha2Module, SHA512: sha2Module, SSHA512: sha2Module,
}

// slappasswd finds the binary, which Debian puts in /usr/sbin, possibly
// off a user's PATH.
func slappasswd() string {
	if p, err := exec.LookPath("slappasswd"); err == nil {
		return p
	}
	if _, err := os.Stat("/usr/sbin/slappasswd"); err == nil {
		return "/usr/sbin/slappasswd"
	}
	return ""
}

var sha2Module = []string{"-o", "module-path=/usr/lib/ldap", "-o", "module-load=pw-sha2.la"}

func TestSlappasswdInterop(t *testing.T) {
	bin := slappasswd()
	need(t, "slappasswd", bin != "")
	for s, opts := range slappasswdSchemes {
		for _, secret := range interopSecrets {
			args := append(append([]string{}, opts...), "-n", "-h", s.String(), "-T", "/dev/stdin")
			cmd := exec.Command(bin, args...)
			cmd.Stdin = strings.NewReader(secret) // -T reads the secret from a file, never the command line
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("slappasswd -h %s: %v", s, err)
			}
			rec := string(out)
			r, err := Parse(rec)
			if err != nil {
				t.Fatalf("slappasswd's %s record does not parse: %v", s, err)
			}
			if r.Scheme() != s || !r.Verify(secret) || r.Verify(secret+"1") {
				t.Errorf("slappasswd's %s record: scheme %s, verify wrong", s, r.Scheme())
			}
			// Same form: the record tollgate makes from the same salt is
			// byte-for-byte slappasswd's, and slappasswd's salt length is
			// the one tollgate uses by default.
			if r.SaltLen() != s.SaltLen() {
				t.Errorf("%s: slappasswd salts with %d bytes, tollgate with %d", s, r.SaltLen(), s.SaltLen())
			}
			mine, err := Make(s, secret, r.salt)
			if err != nil {
				t.Fatalf("Make(%s): %v", s, err)
			}
			if mine != rec {
				t.Errorf("%s: tollgate makes a different record than slappasswd from the same salt (%d vs %d bytes)", s, len(mine), len(rec))
			}
		}
	}
}

// TestTollgateRecordLayout checks that a record tollgate makes with its
// default salt length has the layout slappasswd prints (prefix, padded
// base64, length). slappasswd has no verify mode; byte equality from the
// same salt is TestSlappasswdInterop's.
func TestTollgateRecordLayout(t *testing.T) {
	bin := slappasswd()
	need(t, "slappasswd", bin != "")
	for s, opts := range slappasswdSchemes {
		args := append(append([]string{}, opts...), "-n", "-h", s.String(), "-s", "fixture")
		out, err := exec.Command(bin, args...).Output()
		if err != nil {
			t.Fatalf("slappasswd -h %s: %v", s, err)
		}
		mine, err := Make(s, "fixture", bytes.Repeat([]byte{7}, s.SaltLen()))
		if err != nil {
			t.Fatal(err)
		}
		theirs := string(out)
		if !strings.HasPrefix(mine, s.String()) || !strings.HasPrefix(theirs, s.String()) || len(mine) != len(theirs) {
			t.Errorf("%s: layout differs: tollgate %d bytes, slappasswd %d bytes", s, len(mine), len(theirs))
		}
		if _, err := base64.StdEncoding.DecodeString(mine[len(s.String()):]); err != nil {
			t.Errorf("%s: tollgate's record is not padded standard base64", s)
		}
	}
}

// passlib returns a python3 that has passlib, or "".
func passlib() string {
	for _, py := range []string{"/usr/bin/python3", "python3"} {
		if exec.Command(py, "-c", "import passlib.hash").Run() == nil {
			return py
		}
	}
	return ""
}

func TestPasslibPBKDF2Interop(t *testing.T) {
	py := passlib()
	need(t, "python3-passlib", py != "")
	const script = `
import sys
from passlib.hash import ldap_pbkdf2_sha1, ldap_pbkdf2_sha256, ldap_pbkdf2_sha512
rounds = int(sys.argv[1])
for line in sys.stdin.read().split("\n")[:-1]:
    for h in (ldap_pbkdf2_sha1, ldap_pbkdf2_sha256, ldap_pbkdf2_sha512):
        print(h.using(rounds=rounds, salt_size=16).hash(line))
`
	// pw-pbkdf2's default (10,000) and tollgate's (600,000, for one
	// secret: each record costs a second to make and check twice).
	for _, rounds := range []int{1, 1000, 10_000, DefaultIterations} {
		secrets := interopSecrets
		if rounds == DefaultIterations {
			secrets = secrets[:1]
		}
		cmd := exec.Command(py, "-c", script, strconv.Itoa(rounds))
		cmd.Stdin = strings.NewReader(strings.Join(secrets, "\n") + "\n")
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("passlib: %v", err)
		}
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		if len(lines) != 3*len(secrets) {
			t.Fatalf("passlib printed %d records, want %d", len(lines), 3*len(secrets))
		}
		for i, rec := range lines {
			secret := secrets[i/3]
			r, err := Parse(rec)
			if err != nil {
				t.Fatalf("passlib record %d does not parse: %v", i, err)
			}
			if !r.Verify(secret) || r.Verify(secret+"1") || r.Iterations() != rounds {
				t.Errorf("passlib %s record (%d rounds): verify wrong", r.Scheme(), rounds)
			}
			mine, err := MakeIterations(r.Scheme(), secret, r.salt, rounds)
			if err != nil {
				t.Fatal(err)
			}
			// passlib writes {PBKDF2} for SHA-1, tollgate the explicit name.
			if want := strings.Replace(rec, "{PBKDF2}", "{PBKDF2-SHA1}", 1); mine != want {
				t.Errorf("%s: tollgate makes a different record than passlib from the same salt", r.Scheme())
			}
		}
	}
}
