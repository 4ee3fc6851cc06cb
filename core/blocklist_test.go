package core

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
)

// The iOS lists Markert et al. published (iOS-4-digit.txt, 274 PINs, and
// iOS-6-digit.txt, 2,910 PINs), as the SHA-256 of their sorted entries each
// followed by a space. The rules must rebuild them exactly; the lists
// themselves are not shipped.
const (
	ios4Count, ios4SHA256 = 274, "77e8ae841074845ab2448873ec055d71fc6f79f17f8b86a90fc183ba541dd757"
	ios6Count, ios6SHA256 = 2910, "f4a191ae9fe606559184b01b1ae577d04c17de42ec8c82c2eb15b92556284ab8"
)

func TestCommonPINRebuildsIOSLists(t *testing.T) {
	for _, tt := range []struct {
		digits, count int
		sum           string
	}{{4, ios4Count, ios4SHA256}, {6, ios6Count, ios6SHA256}} {
		var list strings.Builder
		n, limit := 0, 1
		for i := 0; i < tt.digits; i++ {
			limit *= 10
		}
		for i := 0; i < limit; i++ {
			pin := fmt.Sprintf("%0*d", tt.digits, i)
			if _, ok := commonPIN(pin); ok {
				list.WriteString(pin + " ")
				n++
			}
		}
		sum := sha256.Sum256([]byte(list.String()))
		if n != tt.count || hex.EncodeToString(sum[:]) != tt.sum {
			t.Errorf("%d digits: %d PINs (sha256 %x), want the iOS list of %d (%s)", tt.digits, n, sum, tt.count, tt.sum)
		}
	}
}

func TestInList(t *testing.T) {
	for _, tt := range []struct {
		list, word string
		want       bool
	}{
		{"0102 0103 7667", "0102", true},
		{"0102 0103 7667", "7667", true},
		{"0102 0103 7667", "0103", true},
		{"0102 0103 7667", "010", false},
		{"0102 0103 7667", "", false},
		{"", "", false},
	} {
		if got := inList(tt.list, tt.word); got != tt.want {
			t.Errorf("inList(%q, %q) = %v, want %v", tt.list, tt.word, got, tt.want)
		}
	}
}
