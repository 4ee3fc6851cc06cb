package core

// PINContext is what a PIN check knows about the user. Every field is
// optional. Secrets in it (previous PINs) are never copied into a verdict.
type PINContext struct {
	// Extensions lists the primary extension first, then alternates.
	Extensions []string
	FirstName  string
	LastName   string
	// DateOfBirth is YYYY-MM-DD, or empty.
	DateOfBirth string
	// Year is the current year, for the sliding window of the date rule;
	// core reads no clock. 0 means the window is not applied.
	Year int
	// Previous holds earlier PINs in plaintext, newest first.
	Previous []string
	// PreviousRecords holds earlier PINs as stored-credential records
	// ({SSHA}..., sha1:HEX, ...), newest first.
	PreviousRecords []string
	// Interrupt, when set, is polled while PreviousRecords are verified
	// (PBKDF2 records take long); when it returns true the history rule
	// stops and finds nothing, and the caller, which knows it fired, must
	// not use the verdict. core reads no clock.
	Interrupt func() bool
}

// PasswordContext is what a password check knows about the user.
type PasswordContext struct {
	// Alias (the user name) is also a context word of the blocklist: no
	// password may be built on it.
	Alias      string
	Extensions []string
	// Old is the password being replaced, for the character-changes rule.
	Old string
	// Previous and PreviousRecords are earlier passwords, newest first.
	Previous        []string
	PreviousRecords []string

	// Breached is the breached-password list the blocklist compares with
	// (the "passwords" data artifact, ParsePasswordList). It belongs to the
	// deployment, not the user; a policy with password.blocklist on
	// refuses every password (detail no_list) when it is nil.
	Breached *PasswordList
	// Interrupt is PINContext.Interrupt.
	Interrupt func() bool
}
