//go:build !linux

package main

import (
	"os"
	"testing"
)

// openPTY skips: the pseudo-terminal tests open one the Linux way.
func openPTY(t *testing.T) (master, slave *os.File) {
	t.Skip("the pseudo-terminal tests run on Linux")
	return nil, nil
}

func echoing(*os.File) bool { return true }
