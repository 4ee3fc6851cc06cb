package core

import (
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/tollgate/tollgate/core/artifact"
)

// The committed breached-password list (wasm/passwords.tgd), parsed once.
var (
	passwordsOnce sync.Once
	passwordsList *PasswordList
	passwordsErr  error
)

func testPasswords(t testing.TB) *PasswordList {
	t.Helper()
	passwordsOnce.Do(func() {
		b, err := os.ReadFile(filepath.Join("..", "wasm", "passwords.tgd"))
		if err != nil {
			passwordsErr = err
			return
		}
		a, err := artifact.Parse(b)
		if err != nil {
			passwordsErr = err
			return
		}
		passwordsList, passwordsErr = ParsePasswordList(a.Payload)
	})
	if passwordsErr != nil {
		t.Fatalf("the committed breached-password list: %v", passwordsErr)
	}
	return passwordsList
}

// testList is a small list for table tests, built as the generator builds
// the real one.
var testList = func() *PasswordList {
	var sk []string
	for _, w := range []string{"password", "dragon", "monkey", "iloveyou", "hello", "letmein", "sunshine", "Hd764nW5d7E1vb1"} {
		if s, ok := PasswordSkeleton(w); ok {
			sk = append(sk, s)
		}
	}
	b, err := EncodePasswordList(sk, 4)
	if err != nil {
		panic(err)
	}
	l, err := ParsePasswordList(b)
	if err != nil {
		panic(err)
	}
	return l
}()
