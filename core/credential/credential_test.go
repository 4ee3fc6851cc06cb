package credential

import (
	"bytes"
	"crypto/md5"
	"crypto/pbkdf2"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"hash"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

type fixture struct {
	Record string `json:"record"`
	Secret string `json:"secret"`
}

// loadFixtures reads testdata/credentials/*.json: records made by
// slappasswd, passlib and coreutils (see generate.sh there).
func loadFixtures(t *testing.T) map[string][]fixture {
	t.Helper()
	paths, err := filepath.Glob("../../testdata/credentials/*.json")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no fixtures in testdata/credentials: %v", err)
	}
	out := map[string][]fixture{}
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		var f struct {
			Generator string    `json:"generator"`
			Records   []fixture `json:"records"`
		}
		if err := json.Unmarshal(data, &f); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if len(f.Records) == 0 {
			t.Fatalf("%s: no records", p)
		}
		out[filepath.Base(p)] = f.Records
	}
	return out
}

func TestFixturesVerify(t *testing.T) {
	seen := map[Scheme]bool{}
	for file, recs := range loadFixtures(t) {
		for i, f := range recs {
			r, err := Parse(f.Record)
			if err != nil {
				t.Errorf("%s[%d]: Parse: %v", file, i, err)
				continue
			}
			seen[r.Scheme()] = true
			if got := Verify(f.Record, f.Secret, Options{}); !got.Verified || got.Reason != OK {
				t.Errorf("%s[%d] %s: Verify(right secret) = %+v, want ok", file, i, r.Scheme(), got)
			}
			if got := Verify(f.Record, f.Secret+"0", Options{}); got.Verified || got.Reason != Mismatch {
				t.Errorf("%s[%d] %s: Verify(wrong secret) = %+v, want mismatch", file, i, r.Scheme(), got)
			}
			want := OK
			if !r.Scheme().FIPS() {
				want = FIPSLegacyHash
			}
			if got := Verify(f.Record, f.Secret, Options{FIPS: true}); got.Reason != want || got.Verified != (want == OK) {
				t.Errorf("%s[%d] %s: Verify(FIPS) = %+v, want %s", file, i, r.Scheme(), got, want)
			}
			if !Matches(f.Record, f.Secret) || Matches(f.Record, "x"+f.Secret) {
				t.Errorf("%s[%d] %s: Matches disagrees with Verify", file, i, r.Scheme())
			}
		}
	}
	for _, s := range Schemes() {
		if !seen[s] {
			t.Errorf("no fixture made by a reference implementation covers %s", s)
		}
	}
}

func TestParseErrors(t *testing.T) {
	long := "{SSHA}" + strings.Repeat("A", MaxRecordLen)
	tests := []struct {
		record string
		reason Reason
		scheme Scheme
	}{
		{"", Malformed, SchemeNone},
		{long, Malformed, SchemeNone},
		{"{SSHA", Malformed, SchemeNone},
		{"{CRYPT}xTzYQ0dnR4lpk", UnknownScheme, SchemeNone},
		{"{ARGON2}$argon2id$v=19$m=65536,t=2,p=1$c2FsdA$aGFzaA", UnknownScheme, SchemeNone},
		{"secret", UnknownScheme, SchemeNone},
		{"sha256:abcd", UnknownScheme, SchemeNone},
		{"{}", UnknownScheme, SchemeNone},
		{"{SHA}", Malformed, SHA},
		{"{SHA}5en6G6MezRroT3XKqkdPOmY/BfQ", OK, SHA},         // unpadded is accepted
		{"{SHA}5en6G6MezRroT3XKqkdPOmY/Bf==", Malformed, SHA}, // wrong padding
		{"{SHA}5en6G6MezRroT3XKqkdPOmY/BfQ=\n", Malformed, SHA},
		{"{SHA}5en6G6Me zRroT3XKqkdPOmY/BfQ=", Malformed, SHA},
		{"{SHA}Xr4ilOzQ4PCOq3aQ0qbuaQ==", Malformed, SHA}, // an MD5-sized digest
		{"{SSHA}5en6G6MezRroT3XKqkdPOmY/BfQ=", Malformed, SSHA},
		{"{ssha}sJYXZrLtflNSGfCgL7Zarbiu+Wbz/Rx+", OK, SSHA},
		{"{MD5}Xr4ilOzQ4PCOq3aQ0qbuaQ==", OK, MD5},
		{"{PBKDF2-SHA256}", Malformed, PBKDF2SHA256},
		{"{PBKDF2-SHA256}10000$V0opZUypFcJ4DwFgbA2hNA", Malformed, PBKDF2SHA256},
		{"{PBKDF2-SHA256}0$V0opZUypFcJ4DwFgbA2hNA$mOvJOIGg3nhQKedpoXQP8zxdr9yCqCBAZfbn9OGZyr0", Malformed, PBKDF2SHA256},
		{"{PBKDF2-SHA256}2000001$V0opZUypFcJ4DwFgbA2hNA$mOvJOIGg3nhQKedpoXQP8zxdr9yCqCBAZfbn9OGZyr0", Malformed, PBKDF2SHA256},
		{"{PBKDF2-SHA256}-1$V0opZUypFcJ4DwFgbA2hNA$mOvJOIGg3nhQKedpoXQP8zxdr9yCqCBAZfbn9OGZyr0", Malformed, PBKDF2SHA256},
		{"{PBKDF2-SHA256}10000$$mOvJOIGg3nhQKedpoXQP8zxdr9yCqCBAZfbn9OGZyr0", Malformed, PBKDF2SHA256},
		{"{PBKDF2-SHA256}10000$V0opZUypFcJ4DwFgbA2hNA$mOvJOIGg3nhQKedpoXQP8zxdr9yCqCBAZfbn9OGZ", Malformed, PBKDF2SHA256},
		{"{PBKDF2-SHA256}10000$V0opZUypFcJ4DwFgbA2hNA$mOvJOIGg3nhQKedpoXQP8zxdr9yCqCBAZfbn9OGZyr0$x", Malformed, PBKDF2SHA256},
		{"{PBKDF2-SHA256}10000$V0opZUypFcJ4DwFgbA2hNA$mOvJOIGg3nhQKedpoXQP8zxdr9yCqCBAZfbn9OGZyr0", OK, PBKDF2SHA256},
		{"{pbkdf2}1000$hzAmRAhBKOVcq7XW.n.PkQ$6cHG4NoyYt682bIDZTVnRieJafE", OK, PBKDF2SHA1},
		{"sha1:e5e9fa1ba31ecd1ae84f75caaa474f3a663f05f4", OK, HexSHA1},
		{"sha1:e5e9fa1ba31ecd1ae84f75caaa474f3a663f05f", Malformed, HexSHA1},
		{"sha1:e5e9fa1ba31ecd1ae84f75caaa474f3a663f05fg", Malformed, HexSHA1},
		{"MD5:5ebe2294ecd0e0f08eab7690d2a6ee69", OK, HexMD5},
		{"md5:", Malformed, HexMD5},
	}
	for _, tt := range tests {
		r, err := Parse(tt.record)
		if tt.reason == OK {
			if err != nil || r.Scheme() != tt.scheme {
				t.Errorf("Parse(%.40q) = %v, %v; want a %s record", tt.record, r, err, tt.scheme)
			}
			continue
		}
		e, ok := err.(*Error)
		if !ok || e.Reason != tt.reason || e.Scheme != tt.scheme {
			t.Errorf("Parse(%.40q) error = %#v, want %s (scheme %q)", tt.record, err, tt.reason, tt.scheme)
			continue
		}
		if got := Verify(tt.record, "secret", Options{}); got.Reason != tt.reason || got.Verified || got.Scheme != tt.scheme {
			t.Errorf("Verify(%.40q) = %+v, want %s", tt.record, got, tt.reason)
		}
		if b := body(tt.record); len(b) > 4 && strings.Contains(e.Error(), b) {
			t.Errorf("Parse(%.40q): error %q repeats the record", tt.record, e.Error())
		}
	}
}

// body is what follows a record's scheme label: the part that must never
// appear in a message.
func body(record string) string {
	if i := strings.IndexAny(record, "}:"); i >= 0 {
		return record[i+1:]
	}
	return record
}

func TestFIPSAndRehash(t *testing.T) {
	md5rec, _ := Make(MD5, "408408", nil)
	smd5rec, _ := Make(SMD5, "408408", []byte("salt"))
	hexmd5, _ := Make(HexMD5, "408408", nil)
	ssha, _ := Make(SSHA, "408408", []byte("salt"))
	pbk, _ := Make(PBKDF2SHA256, "408408", []byte("0123456789abcdef"))
	pbkLow, _ := MakeIterations(PBKDF2SHA256, "408408", []byte("0123456789abcdef"), 1000)
	tests := []struct {
		name     string
		record   string
		secret   string
		o        Options
		reason   Reason
		rehashTo Scheme
	}{
		{"md5 outside FIPS verifies and migrates", md5rec, "408408", Options{}, OK, DefaultTarget},
		{"smd5 outside FIPS migrates to the target", smd5rec, "408408", Options{Target: SSHA256}, OK, SSHA256},
		{"md5 hex migrates", hexmd5, "408408", Options{}, OK, DefaultTarget},
		{"md5 wrong secret is a mismatch outside FIPS", md5rec, "408409", Options{}, Mismatch, SchemeNone},
		{"md5 under FIPS is legacy, right secret", md5rec, "408408", Options{FIPS: true}, FIPSLegacyHash, SchemeNone},
		{"md5 under FIPS is legacy, wrong secret", md5rec, "1", Options{FIPS: true}, FIPSLegacyHash, SchemeNone},
		{"md5 hex under FIPS", hexmd5, "408408", Options{FIPS: true}, FIPSLegacyHash, SchemeNone},
		{"ssha under FIPS verifies, no advice", ssha, "408408", Options{FIPS: true}, OK, SchemeNone},
		{"ssha with another target is advised", ssha, "408408", Options{FIPS: true, Target: PBKDF2SHA256}, OK, PBKDF2SHA256},
		{"ssha with its own target is not", ssha, "408408", Options{Target: SSHA}, OK, SchemeNone},
		{"pbkdf2 at the default count is current", pbk, "408408", Options{Target: PBKDF2SHA256}, OK, SchemeNone},
		{"pbkdf2 below the default count is advised", pbkLow, "408408", Options{Target: PBKDF2SHA256}, OK, PBKDF2SHA256},
		{"a mismatch is never advised", ssha, "x", Options{Target: PBKDF2SHA256}, Mismatch, SchemeNone},
	}
	for _, tt := range tests {
		got := Verify(tt.record, tt.secret, tt.o)
		if got.Reason != tt.reason || got.Verified != (tt.reason == OK) || got.Rehash != (tt.rehashTo != SchemeNone) || got.RehashTo != tt.rehashTo {
			t.Errorf("%s: got %+v, want reason %s rehash to %q", tt.name, got, tt.reason, tt.rehashTo)
		}
	}
}

func TestMakeErrors(t *testing.T) {
	tests := []struct {
		s    Scheme
		salt []byte
		iter int
	}{
		{SchemeNone, nil, DefaultIterations},
		{numSchemes, nil, DefaultIterations},
		{SHA, []byte("x"), DefaultIterations},
		{HexSHA1, []byte("x"), DefaultIterations},
		{SSHA, nil, DefaultIterations},
		{SSHA, make([]byte, MaxSaltLen+1), DefaultIterations},
		{PBKDF2SHA256, make([]byte, 15), DefaultIterations},
		{PBKDF2SHA256, make([]byte, 16), 0},
		{PBKDF2SHA256, make([]byte, 16), MaxIterations + 1},
	}
	for _, tt := range tests {
		if rec, err := MakeIterations(tt.s, "secret", tt.salt, tt.iter); err == nil {
			t.Errorf("MakeIterations(%q, salt %d bytes, %d) = %q, want an error", tt.s, len(tt.salt), tt.iter, rec)
		} else if strings.Contains(err.Error(), "secret") {
			t.Errorf("error %q names the secret", err)
		}
	}
	if _, err := Make(SSHA, "secret", make([]byte, MaxSaltLen)); err != nil {
		t.Errorf("Make(SSHA, %d-byte salt): %v", MaxSaltLen, err)
	}
	if _, err := MakeIterations(PBKDF2SHA1, "secret", make([]byte, 16), MaxIterations); err != nil {
		t.Errorf("MakeIterations at MaxIterations: %v", err)
	}
}

func TestParseScheme(t *testing.T) {
	tests := map[string]Scheme{
		"{SSHA}": SSHA, "ssha": SSHA, "{ssha256}": SSHA256, "SSHA512": SSHA512, "MD5": MD5, "md5": MD5,
		"{PBKDF2}": PBKDF2SHA1, "pbkdf2-sha256": PBKDF2SHA256, "sha1": HexSHA1, "sha1:hex": HexSHA1,
		"SHA1:": HexSHA1, "md5:hex": HexMD5, "md5:": HexMD5, "{SHA}": SHA, "sha": SHA,
	}
	for name, want := range tests {
		if got, ok := ParseScheme(name); !ok || got != want {
			t.Errorf("ParseScheme(%q) = %s, %v; want %s", name, got, ok, want)
		}
	}
	for _, name := range []string{"", "{}", "crypt", "{CRYPT}", "sha256:hex", "bcrypt"} {
		if got, ok := ParseScheme(name); ok {
			t.Errorf("ParseScheme(%q) = %s, want no scheme", name, got)
		}
	}
	for _, s := range Schemes() {
		if got, ok := ParseScheme(s.String()); !ok || got != s {
			t.Errorf("ParseScheme(%q) = %s, want itself", s, got)
		}
	}
}

func TestRecordPrintsNoDigest(t *testing.T) {
	r, err := Parse("{SSHA}sJYXZrLtflNSGfCgL7Zarbiu+Wbz/Rx+")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{r.String(), r.GoString()} {
		if s != "{SSHA} record" {
			t.Errorf("record prints as %q", s)
		}
	}
}

// reference computes a record the slow, obvious way (streaming hashes),
// independently of sum/Make: the oracle for the fuzz tests.
func reference(s Scheme, secret string, salt []byte) string {
	var h hash.Hash
	switch schemes[s].alg {
	case algSHA1:
		h = sha1.New()
	case algSHA256:
		h = sha256.New()
	case algSHA384:
		h = sha512.New384()
	case algSHA512:
		h = sha512.New()
	default:
		h = md5.New()
	}
	h.Write([]byte(secret))
	h.Write(salt)
	d := h.Sum(nil)
	if schemes[s].form == formHex {
		return schemes[s].name + hex.EncodeToString(d)
	}
	return schemes[s].name + base64.StdEncoding.EncodeToString(append(d, salt...))
}

func FuzzMakeVerify(f *testing.F) {
	f.Add(uint8(SSHA), "408408", []byte("salt"))
	f.Add(uint8(SHA512), "pässwörd", []byte{})
	f.Add(uint8(HexMD5), "", []byte{})
	f.Fuzz(func(t *testing.T, si uint8, secret string, salt []byte) {
		s := Scheme(si%uint8(numSchemes-1)) + 1
		if schemes[s].form == formPBKDF2 {
			return // covered by TestFixturesVerify and the interop tests; too slow to fuzz
		}
		if !s.Salted() {
			salt = nil
		} else if len(salt) == 0 || len(salt) > MaxSaltLen {
			salt = []byte{1}
		}
		rec, err := Make(s, secret, salt)
		if err != nil {
			t.Fatalf("Make(%s): %v", s, err)
		}
		if want := reference(s, secret, salt); rec != want {
			t.Fatalf("Make(%s) = %q, reference %q", s, rec, want)
		}
		r, err := Parse(rec)
		if err != nil || r.Scheme() != s || r.SaltLen() != len(salt) {
			t.Fatalf("Parse(Make(%s)) = %v, %v", s, r, err)
		}
		if !r.Verify(secret) || r.Verify(secret+"\x00") {
			t.Fatalf("%s: Verify disagrees with Make", s)
		}
	})
}

func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		"{SSHA}sJYXZrLtflNSGfCgL7Zarbiu+Wbz/Rx+", "{PBKDF2-SHA256}1$V0opZUypFcJ4DwFgbA2hNA$mOvJOIGg3nhQKedpoXQP8zxdr9yCqCBAZfbn9OGZyr0",
		"sha1:e5e9fa1ba31ecd1ae84f75caaa474f3a663f05f4", "{MD5}", "{", "md5:zz", "{PBKDF2}1$$",
	} {
		f.Add(seed, "secret")
	}
	f.Fuzz(func(t *testing.T, record, secret string) {
		if strings.HasPrefix(strings.ToUpper(record), "{PBKDF2") {
			// Keep fuzzing fast: the iteration count is attacker-chosen up
			// to MaxIterations; parse only.
			if _, err := Parse(record); err != nil {
				checkErr(t, record, err)
			}
			return
		}
		for _, fips := range []bool{false, true} {
			res := Verify(record, secret, Options{FIPS: fips})
			switch res.Reason {
			case OK, Mismatch, FIPSLegacyHash, UnknownScheme, Malformed:
			default:
				t.Fatalf("Verify(%q) reason %q", record, res.Reason)
			}
			if res.Verified != (res.Reason == OK) {
				t.Fatalf("Verify(%q) = %+v", record, res)
			}
		}
		r, err := Parse(record)
		if err != nil {
			checkErr(t, record, err)
			return
		}
		if r.Verify(secret) != Matches(record, secret) {
			t.Fatalf("Matches and Verify disagree on %q", record)
		}
	})
}

func checkErr(t *testing.T, record string, err error) {
	e, ok := err.(*Error)
	if !ok || (e.Reason != Malformed && e.Reason != UnknownScheme) {
		t.Fatalf("Parse(%q) error %#v", record, err)
	}
	// A long body without spaces cannot be a word of a fixed message.
	if b := body(record); len(b) >= 12 && !strings.Contains(b, " ") && strings.Contains(e.Error(), b) {
		t.Fatalf("Parse(%q): error %q repeats the record", record, e.Error())
	}
}

func TestVerifyDoesNotAllocate(t *testing.T) {
	for _, s := range []Scheme{SHA, SSHA, SSHA256, SSHA512, SMD5, HexSHA1} {
		salt := make([]byte, s.SaltLen())
		rec, _ := Make(s, "408408", salt)
		r, _ := Parse(rec)
		if n := testing.AllocsPerRun(100, func() { r.Verify("408408") }); n != 0 {
			t.Errorf("%s: Verify allocates %v times", s, n)
		}
	}
}

// TestPBKDF2MatchesStdlib holds the interruptible PBKDF2 to crypto/pbkdf2
// for every hash, key lengths over one, two and several blocks, and
// iteration counts around the interrupt's polling interval; over the
// build's HMAC (crypto/hmac, or core/internal/digest's under the tag
// tollgate_small: go test -tags tollgate_small).
func TestPBKDF2MatchesStdlib(t *testing.T) {
	hashes := map[algo]func() hash.Hash{algSHA1: sha1.New, algSHA256: sha256.New, algSHA512: sha512.New}
	for a, h := range hashes {
		for _, n := range []int{1, 20, 32, 33, 64, 100} {
			for _, iter := range []int{1, 2, interruptEvery - 1, interruptEvery, interruptEvery + 1, 3000} {
				salt := []byte("salt" + strconv.Itoa(n))
				want, err := pbkdf2.Key(h, "pässwörd", salt, iter, n)
				if err != nil {
					t.Fatal(err)
				}
				got, err := pbkdf2Key(a, "pässwörd", salt, iter, n, func() bool { return false })
				if err != nil || !bytes.Equal(got, want) {
					t.Errorf("algo %d, %d bytes, %d iterations: %x, want %x (%v)", a, n, iter, got, want, err)
				}
			}
		}
	}
}
