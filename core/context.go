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
	Alias      string
	Extensions []string
	// Old is the password being replaced, for the character-changes rule.
	Old string
	// Previous and PreviousRecords are earlier passwords, newest first.
	Previous        []string
	PreviousRecords []string
	// Interrupt is PINContext.Interrupt.
	Interrupt func() bool
}
