//go:build wasip1

package api

import "unsafe"

// randomBytes fills b from WASI's random_get: the host's generator (the
// OS's under wazero, crypto.getRandomValues in a browser). crypto/rand
// would reach the same call through its FIPS 140 DRBG, whose AES and
// SHA-3 cost the module about 8 KB gzip for 16 bytes of salt per record.
func randomBytes(b []byte) error {
	if len(b) == 0 {
		return nil
	}
	if errno := randomGet(unsafe.Pointer(unsafe.SliceData(b)), uint32(len(b))); errno != 0 {
		return errRandom
	}
	return nil
}

//go:wasmimport wasi_snapshot_preview1 random_get
//go:noescape
func randomGet(buf unsafe.Pointer, n uint32) uint32

var errRandom = &Error{Code: ErrInternal, Message: "random_get failed"}
