//go:build !wasip1

package api

import "crypto/rand"

// randomBytes fills b from the operating system's generator.
func randomBytes(b []byte) error {
	_, err := rand.Read(b)
	return err
}
