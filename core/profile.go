package core

import (
	"strings"

	"github.com/tollgate/tollgate/core/credential"
)

// Built-in profile names. A policy file extends one of them.
const (
	ProfileCUC      = "cuc"            // Cisco Unity Connection, guide's best practices
	ProfileCUCESM   = "cuc-esm"        // Unity Connection in Enhanced Security Mode
	ProfileCUCM     = "cucm"           // Cisco Unified CM credential policy defaults
	ProfileExchange = "exchange-um"    // Exchange Unified Messaging mailbox policy
	ProfileNIST     = "nist-800-63b-4" // NIST SP 800-63B revision 4

	// DefaultProfile is what a policy document without "extends" starts
	// from, and what a request naming no policy gets.
	DefaultProfile = ProfileCUC
)

// Hard caps on credential length. A policy's max_length may not exceed
// them, so a check can refuse longer input before doing any other work.
const (
	// PINLengthCap: the longest minimum any seed allows is 64 digits
	// (Unified CM's Minimum Credential Length); nobody keys in more.
	PINLengthCap = 64
	// PasswordLengthCap: four times NIST's "at least 64" and twice the
	// 127 characters Cisco accepts, so rules stay linear-time cheap.
	PasswordLengthCap = 256
)

// ProfileNames lists the built-in profiles in documentation order.
func ProfileNames() []string {
	return []string{ProfileCUC, ProfileCUCESM, ProfileCUCM, ProfileExchange, ProfileNIST}
}

// Profile returns a fresh copy of the named built-in profile; the caller
// may modify it. docs/policy.md gives every value and its source.
func Profile(name string) (*Policy, error) {
	var p Policy
	switch name {
	case ProfileCUC:
		p = profileCUC()
	case ProfileCUCESM:
		p = profileCUCESM()
	case ProfileCUCM:
		p = profileCUCM()
	case ProfileExchange:
		p = profileExchange()
	case ProfileNIST:
		p = profileNIST()
	default:
		return nil, &PolicyError{
			Field: "profile", Value: quoteValue(name), Allowed: strings.Join(ProfileNames(), ", "),
			Msg: quoteValue(name) + " is not a built-in profile; want one of " + strings.Join(ProfileNames(), ", "),
		}
	}
	p.Name, p.Extends = name, name
	p.Hash.Iterations = credential.DefaultIterations
	return &p, nil
}

// profileCUC: Unity Connection authentication rules set to the security
// guide's recommendations (seed 001, "Defining Authentication Rules").
func profileCUC() Policy {
	rule := CredentialRule{
		FailedLimit:        3,  // "lock user accounts after three failed sign-in attempts"
		ResetFailedMinutes: 30, // "clear the count ... after 30 minutes"
		LockoutMinutes:     30,
		History:            5, // "By default, Unity Connection stores 5"
	}
	pin, pw := rule, rule
	pin.MinLength, pin.MaxLength, pin.ExpiryDays = 6, PINLengthCap, 180
	pw.MinLength, pw.MaxLength, pw.ExpiryDays = 8, 127, 120
	return Policy{
		PIN:      PINPolicy{CredentialRule: pin, Trivial: true},
		Password: PasswordPolicy{CredentialRule: pw, Trivial: true, MinClasses: 3, MinChanges: 1},
	}
}

// profileCUCESM: cuc with the Enhanced Security Mode credential policy
// (seed 001, "Credential Policy", "Limit log-on", "Disable Inactive Users").
// The credential policy governs passwords; PINs keep the cuc rule.
func profileCUCESM() Policy {
	p := profileCUC()
	pw := &p.Password
	pw.MinLength, pw.MaxLength = 14, 127
	pw.MinClasses = 4
	pw.History = 24
	pw.ExpiryDays = 60
	pw.MinChanges = 4
	p.Account = AccountPolicy{InactivityDays: 90, MaxSessionsTelephony: 2, MaxSessionsIMAP: 5}
	return p
}

// profileCUCM: a new Unified CM credential policy with its defaults
// (seed 003, Table 112-1; the fields past the seed's excerpt from the same
// table of the Administration Guide). One policy serves PINs and passwords.
func profileCUCM() Policy {
	rule := CredentialRule{
		MinLength:          8,
		FailedLimit:        3,
		ResetFailedMinutes: 30,
		LockoutMinutes:     30,
		ExpiryDays:         180,
		History:            12,
	}
	pin, pw := rule, rule
	pin.MaxLength = PINLengthCap
	pw.MaxLength = 127 // "Enter up to 127 characters"
	return Policy{
		PIN:      PINPolicy{CredentialRule: pin, Trivial: true},
		Password: PasswordPolicy{CredentialRule: pw, Trivial: true, MinClasses: 3, MinChanges: 1},
	}
}

// profileExchange: an Exchange UM mailbox policy with its defaults (seed
// 002). Exchange applies only its own checks, so Cisco's trivial rules are
// off. UM policies do not govern passwords; the password half follows the
// Active Directory default domain policy, where those passwords live.
func profileExchange() Policy {
	return Policy{
		PIN: PINPolicy{
			CredentialRule: CredentialRule{
				MinLength: 6, MaxLength: 24,
				FailedLimit:        15,
				ResetAfterFailures: 5,
				AdminMustUnlock:    true, // a locked mailbox stays locked until its PIN is reset
				ExpiryDays:         60,
				History:            5,
			},
			ExchangeCommonPatterns: true, // "Allow common PIN patterns" is off by default
		},
		Password: PasswordPolicy{
			CredentialRule: CredentialRule{
				MinLength: 7, MaxLength: 127,
				ExpiryDays:       42,
				MinChangeMinutes: 24 * 60,
				History:          24,
			},
			MinClasses: 3,
		},
	}
}

// profileNIST: SP 800-63B-4 (research/peers.md §2): whole-value blocklist,
// no composition rules, no forced expiry, at most 100 consecutive failures.
func profileNIST() Policy {
	rule := CredentialRule{
		FailedLimit:     100,
		AdminMustUnlock: true, // the count is of consecutive failures: no timed reset
	}
	pin, pw := rule, rule
	pin.MinLength, pin.MaxLength = 6, PINLengthCap
	pw.MinLength, pw.MaxLength = 15, 127
	return Policy{
		PIN:      PINPolicy{CredentialRule: pin, Dates: true, Blocklist: true},
		Password: PasswordPolicy{CredentialRule: pw, Blocklist: true},
	}
}

func quoteValue(s string) string {
	const max = 40 // a value in an error is for orientation, not a dump
	r := []rune(s)
	if len(r) > max {
		s = string(r[:max]) + "…"
	}
	var b strings.Builder
	b.WriteByte('"')
	for _, c := range s {
		switch {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteRune(c)
		case c < 0x20 || c == 0x7f:
			b.WriteString(`\x`)
			b.WriteByte("0123456789abcdef"[c>>4])
			b.WriteByte("0123456789abcdef"[c&0xf])
		default:
			b.WriteRune(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}
