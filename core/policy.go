package core

// Policy is a complete, validated rule set: what a PIN and a web password
// must satisfy and how sign-in failures, expiry and sessions are handled.
// Policies are built from a named profile (Profile) and optionally a JSON
// document that extends one (ParsePolicy); see docs/policy.md. The JSON
// field names below are the file format.
//
// Every field is range-checked by Validate; nothing silently clamps.
type Policy struct {
	// Name is the profile this policy was built from ("cuc", ...), or the
	// name a policy file gives itself.
	Name string `json:"name"`
	// Extends is the built-in profile the policy starts from; it also
	// selects the ranges Validate applies (Exchange's, Cisco's, NIST's).
	// Empty means the default profile, "cuc".
	Extends  string         `json:"extends,omitempty"`
	PIN      PINPolicy      `json:"pin"`
	Password PasswordPolicy `json:"password"`
	Account  AccountPolicy  `json:"account"`
	Hash     HashPolicy     `json:"hash"`
}

// CredentialRule holds the fields an authentication rule (Unity Connection),
// credential policy (Unified CM) or UM mailbox policy (Exchange) gives each
// kind of credential: lockout, expiry and history.
type CredentialRule struct {
	// MinLength and MaxLength bound the credential's length in characters.
	MinLength int `json:"min_length"`
	MaxLength int `json:"max_length"`

	// FailedLimit is the number of failed sign-ins that locks the account;
	// 0 means no limit.
	FailedLimit int `json:"failed_limit"`
	// ResetFailedMinutes clears the failure count this many minutes after
	// the last failure, unless the account is already locked; 0 never.
	ResetFailedMinutes int `json:"reset_failed_minutes"`
	// LockoutMinutes is how long a locked account stays locked. With
	// AdminMustUnlock set, only an administrator unlocks it.
	LockoutMinutes  int  `json:"lockout_minutes"`
	AdminMustUnlock bool `json:"admin_must_unlock"`
	// ResetAfterFailures (Exchange UM) resets the credential after this many
	// consecutive failures, which must be below FailedLimit; 0 is off.
	ResetAfterFailures int `json:"reset_after_failures"`

	// ExpiryDays forces a change this many days after the last one; 0 never.
	ExpiryDays int `json:"expiry_days"`
	// MinChangeMinutes is the minimum time between two changes; 0 any time.
	MinChangeMinutes int `json:"min_change_minutes"`
	// History is how many previous credentials may not be reused; 0 none.
	History int `json:"history"`
}

// PINPolicy is the rule for numeric voicemail (touchtone) PINs.
type PINPolicy struct {
	CredentialRule

	// Trivial applies the Cisco non-trivial PIN rules (Unity Connection's
	// "Check for trivial passwords", Unified CM's trivial PIN criteria):
	// repeated_digit, few_distinct, repeated_group, sequential, keypad_line,
	// contains_extension, contains_reversed_extension, name_digits.
	Trivial bool `json:"trivial"`
	// ExchangeCommonPatterns refuses Exchange UM's common patterns
	// (sequential, all_same, extension_suffix). It is the negation of the
	// UM mailbox policy's AllowCommonPatterns setting.
	ExchangeCommonPatterns bool `json:"exchange_common_patterns"`
	// SequenceWraps lets a sequential run go on from 9 to 0 and from 0 to
	// 9, as on a ring (789012, 321098). Off in every profile: neither
	// Cisco's "ascending or descending group of digits" nor Exchange's
	// "consecutive numbers" wraps, and a profile must not refuse what its
	// system accepts. A stricter site turns it on.
	SequenceWraps bool `json:"sequence_wraps"`
	// KeypadContainsMin, when not 0, also refuses PINs that merely contain a
	// keypad line of at least this many digits.
	KeypadContainsMin int `json:"keypad_contains_min"`
	// Dates refuses PINs that read as a date (and DOB permutations).
	Dates bool `json:"dates"`
	// Blocklist refuses PINs on the built-in weak-PIN list (code common).
	Blocklist bool `json:"blocklist"`
}

// PasswordPolicy is the rule for web-application passwords.
type PasswordPolicy struct {
	CredentialRule

	// Trivial applies the Cisco non-trivial password rules: repeated_char,
	// contains_alias, contains_reversed_alias, contains_extension,
	// consecutive_chars.
	Trivial bool `json:"trivial"`
	// SequenceWraps lets the digits of a consecutive_chars run go on from
	// 9 to 0 and from 0 to 9 (7890123); off in every profile, as for PINs.
	SequenceWraps bool `json:"sequence_wraps"`
	// MinClasses is how many of the four classes (upper, lower, digit,
	// symbol) a password needs: 3 gives few_classes (Cisco), 4 gives
	// missing_class per absent class (Enhanced Security Mode), 0 none.
	MinClasses int `json:"min_classes"`
	// MinChanges is the minimum edit distance from the old password
	// (too_similar); 0 is off.
	MinChanges int `json:"min_changes"`
	// Blocklist refuses passwords that are, once normalised, on the
	// breached-password list (PasswordContext.Breached), the built-in
	// list or BlocklistExtra, built of context words, predictable
	// throughout, or a keyboard walk (code common; docs/rules.md).
	Blocklist bool `json:"blocklist"`
	// ContextWords are the service's words (its name, the company's, the
	// product's) that, like the user's alias and names, no password may be
	// built on. At most MaxContextWords, each 1..64 characters.
	ContextWords []string `json:"context_words,omitempty"`
	// BlocklistExtra is the site's own list, compared like the breached
	// list (with every variant the normalisation folds). At most
	// MaxBlocklistExtra entries, each 1..64 characters.
	BlocklistExtra []string `json:"blocklist_extra,omitempty"`

	words [][]rune // ContextWords folded (Validate)
	extra []string // skeletons of BlocklistExtra, sorted (Validate)
}

// AccountPolicy holds settings that apply to the account as a whole.
type AccountPolicy struct {
	// InactivityDays disables an account not signed in for this many days;
	// 0 is off.
	InactivityDays int `json:"inactivity_days"`
	// MaxSessionsTelephony and MaxSessionsIMAP cap concurrent sessions per
	// user on each interface; 0 is no cap.
	MaxSessionsTelephony int `json:"max_sessions_telephony"`
	MaxSessionsIMAP      int `json:"max_sessions_imap"`
}

// HashPolicy is how new stored-credential records are made: by hash.make,
// and for the rehash a verification advises.
type HashPolicy struct {
	// Iterations is the PBKDF2 iteration count of new records,
	// credential.MinIterations..credential.MaxIterations (1 000 to
	// 1 000 000); a verified PBKDF2 record with fewer is advised to be
	// rehashed. Every profile uses OWASP's 600 000 for PBKDF2-HMAC-SHA256
	// (credential.DefaultIterations).
	Iterations int `json:"iterations"`
}
