package core

import "time"

// The sign-in rules as a pure state machine: SignIn takes an account's
// state, one event and the policy, and returns the next state and a
// decision. The clock is the event's At; core reads none. The host keeps
// the state between events (docs/credentials.md, "Sign-in state machine").
//
// Sources: Unity Connection's authentication rules and its concurrent-session
// and inactivity settings (seed 001), Unified CM's credential policy (seed
// 003: a lockout duration of 0 means an administrator must unlock) and
// Exchange UM's PIN reset below the lockout (seed 002).

// Interface is where a sign-in happens; sessions are capped per interface.
type Interface uint8

const (
	// Telephony is the phone conversation (TUI) and PIN-based visual
	// voicemail, which Unity Connection caps together.
	Telephony Interface = iota
	// IMAP is the IMAP interface.
	IMAP
	// Web is Connection Administration, the Cisco PCA and Web Inbox; no cap.
	Web
	NumInterfaces
)

var interfaceNames = [NumInterfaces]string{"telephony", "imap", "web"}

func (i Interface) String() string {
	if i < NumInterfaces {
		return interfaceNames[i]
	}
	return ""
}

// ParseInterface finds an interface by name; "visual_voicemail" is
// Telephony.
func ParseInterface(name string) (Interface, bool) {
	if name == "visual_voicemail" {
		return Telephony, true
	}
	for i, n := range interfaceNames {
		if n == name {
			return Interface(i), true
		}
	}
	return 0, false
}

// SignInState is one account's state for one kind of credential. The zero
// value is a fresh account with nothing known. Zero times mean unknown: an
// unknown ChangedAt never expires, an unknown LastSignIn never goes inactive.
type SignInState struct {
	// Failures counts consecutive failed sign-ins since the last success,
	// unlock or reset of the counter.
	Failures    int
	LastFailure time.Time
	// Locked is set when Failures reached the rule's FailedLimit, at
	// LockedAt.
	Locked   bool
	LockedAt time.Time
	// MustChange: the credential must be changed at the next sign-in (an
	// administrator asked for it, or Exchange reset the PIN).
	MustChange bool
	// ChangedAt is when the credential was last changed.
	ChangedAt time.Time
	// LastSignIn is the last successful sign-in (or reactivation).
	LastSignIn time.Time
	// Inactive: disabled for inactivity until an administrator reactivates.
	Inactive bool
	// Sessions counts open sessions per interface.
	Sessions [NumInterfaces]int
}

// EventType is what happened to the account.
type EventType uint8

const (
	// EventSignIn is a sign-in attempt; SignInEvent.OK says whether the
	// credential verified (tollgate's hash.verify or the host's own check).
	EventSignIn EventType = iota
	// EventSignOut closes a session on an interface.
	EventSignOut
	// EventChange is a credential change, by the user or an administrator.
	EventChange
	// EventUnlock is an administrator unlocking the account.
	EventUnlock
	// EventActivate is an administrator reactivating an inactive account.
	EventActivate
	// EventRequireChange is an administrator setting "must change at next
	// sign-in".
	EventRequireChange
	// EventCheck applies the clock only (the "Check Inactive Users" task,
	// or a status query).
	EventCheck
	NumEventTypes
)

var eventNames = [NumEventTypes]string{"signin", "signout", "change", "unlock", "activate", "require_change", "check"}

func (t EventType) String() string {
	if t < NumEventTypes {
		return eventNames[t]
	}
	return ""
}

// ParseEventType finds an event type by its name.
func ParseEventType(name string) (EventType, bool) {
	for i, n := range eventNames {
		if n == name {
			return EventType(i), true
		}
	}
	return 0, false
}

// SignInEvent is one event at time At.
type SignInEvent struct {
	Type EventType
	At   time.Time
	// OK is a sign-in's outcome: the credential verified.
	OK bool
	// Interface is where a sign-in or sign-out happens.
	Interface Interface
	// ByAdmin marks a change made by an administrator: no minimum time
	// applies, and it clears a lockout (an Exchange PIN reset unlocks the
	// mailbox). MustChange then asks the user to change it at next sign-in.
	ByAdmin    bool
	MustChange bool
}

// SignInCode names a decision. Codes are stable.
type SignInCode string

// Decision codes.
const (
	SignInOK              SignInCode = "ok"                // signed in
	SignInMustChange      SignInCode = "must_change"       // signed in; change the credential first
	SignInExpired         SignInCode = "expired"           // signed in; the credential expired: change it first
	SignInFailed          SignInCode = "failed"            // wrong credential, counted
	SignInLocked          SignInCode = "locked"            // refused: locked; the attempt is not counted
	SignInInactive        SignInCode = "inactive"          // refused: disabled for inactivity
	SignInTooManySessions SignInCode = "too_many_sessions" // refused: the interface's session cap is reached
	SignInSignedOut       SignInCode = "signed_out"
	SignInChanged         SignInCode = "changed"
	SignInChangeTooSoon   SignInCode = "change_too_soon" // refused: minimum time between changes
	SignInUnlocked        SignInCode = "unlocked"
	SignInActivated       SignInCode = "activated"
	SignInChangeRequired  SignInCode = "change_required"
)

// SignInDecision is the outcome of one event. For EventCheck, Code and
// Allowed describe whether a sign-in would be let in now.
type SignInDecision struct {
	Code SignInCode
	// Allowed: the sign-in or change goes ahead.
	Allowed bool
	// MustChange: the user must change the credential before anything else
	// (after a sign-in or a check).
	MustChange bool
	// Locked is the account's lock after the event. LockedUntil is when a
	// timed lockout ends; zero when AdminMustUnlock.
	Locked          bool
	LockedUntil     time.Time
	AdminMustUnlock bool
	// ResetCredential: this failure reached Exchange's "failures before PIN
	// reset"; the host must reset the credential now (the user gets a new
	// one, which must be changed at next sign-in).
	ResetCredential bool
	// Remaining is how many failed sign-ins are left before the lockout;
	// -1 when there is no limit.
	Remaining int
	// RetryAt is the earliest time a refused change may be made.
	RetryAt time.Time
}

func minutes(n int) time.Duration { return time.Duration(n) * time.Minute }
func days(n int) time.Duration    { return time.Duration(n) * 24 * time.Hour }

// reached reports whether d has passed from since to at. A clock that goes
// backwards never reaches anything.
func reached(since, at time.Time, d time.Duration) bool { return !at.Before(since.Add(d)) }

// adminUnlockOnly: Unified CM's lockout duration 0 also means an
// administrator must unlock.
func adminUnlockOnly(r *CredentialRule) bool { return r.AdminMustUnlock || r.LockoutMinutes <= 0 }

// sessionCap is the interface's cap; 0 is none.
func sessionCap(a *AccountPolicy, i Interface) int {
	switch i {
	case Telephony:
		return a.MaxSessionsTelephony
	case IMAP:
		return a.MaxSessionsIMAP
	}
	return 0
}

// Expired reports whether the credential in s has expired at t under r.
func (s *SignInState) Expired(r *CredentialRule, t time.Time) bool {
	return r.ExpiryDays > 0 && !s.ChangedAt.IsZero() && reached(s.ChangedAt, t, days(r.ExpiryDays))
}

// settle applies the clock at t: a timed lockout ends, the failure counter
// resets after its window, an idle account goes inactive.
func (s *SignInState) settle(r *CredentialRule, a *AccountPolicy, t time.Time) {
	if s.Failures < 0 {
		s.Failures = 0
	}
	for i := range s.Sessions {
		s.Sessions[i] = max(s.Sessions[i], 0)
	}
	if s.Locked && !adminUnlockOnly(r) && reached(s.LockedAt, t, minutes(r.LockoutMinutes)) {
		s.unlock()
	}
	// The counter resets unless the account is locked (Unity Connection:
	// "unless the failed sign-in limit is already reached").
	if !s.Locked && s.Failures > 0 && r.ResetFailedMinutes > 0 && reached(s.LastFailure, t, minutes(r.ResetFailedMinutes)) {
		s.Failures, s.LastFailure = 0, time.Time{}
	}
	if a.InactivityDays > 0 && !s.LastSignIn.IsZero() && reached(s.LastSignIn, t, days(a.InactivityDays)) {
		s.Inactive = true
	}
}

// ForgetAt reports from when a host may drop the stored state s and start
// again from the zero state: from that time on, SignIn under r and a
// decides every event exactly as it decides it for a new account (the
// next state differs only in times the policy does not read). ok is false
// when s must be kept: a lockout that only an administrator lifts, a
// credential that must change, an inactive account, open sessions on an
// interface with a session cap,
// failures that only a success clears, or a time the policy still reads
// (the last sign-in under an inactivity rule, the last change under an
// expiry). With ok, a time before the current one means at once.
//
// A timed lockout is forgettable once it has ended, and failures once
// their counter's reset window has passed: never while it still counts.
func (s *SignInState) ForgetAt(r *CredentialRule, a *AccountPolicy) (at time.Time, ok bool) {
	if s.Inactive || s.MustChange ||
		!s.LastSignIn.IsZero() && a.InactivityDays > 0 ||
		!s.ChangedAt.IsZero() && r.ExpiryDays > 0 {
		return at, false
	}
	for i, n := range s.Sessions {
		if n > 0 && sessionCap(a, Interface(i)) > 0 { // open sessions count against a cap
			return at, false
		}
	}
	switch {
	case s.Locked:
		if adminUnlockOnly(r) {
			return at, false
		}
		at = s.LockedAt.Add(minutes(r.LockoutMinutes))
	case s.Failures > 0:
		if r.ResetFailedMinutes <= 0 {
			return at, false
		}
		at = s.LastFailure.Add(minutes(r.ResetFailedMinutes))
	}
	if !s.ChangedAt.IsZero() && r.MinChangeMinutes > 0 {
		if c := s.ChangedAt.Add(minutes(r.MinChangeMinutes)); at.Before(c) {
			at = c
		}
	}
	return at, true
}

func (s *SignInState) unlock() {
	s.Locked, s.LockedAt = false, time.Time{}
	s.Failures, s.LastFailure = 0, time.Time{}
}

// SignIn applies event e to state s under the credential rule r and the
// account policy a, and returns the next state and the decision. It is a
// pure function: same arguments, same result; it never panics on any
// state.
func SignIn(r *CredentialRule, a *AccountPolicy, s SignInState, e SignInEvent) (SignInState, SignInDecision) {
	t := e.At
	s.settle(r, a, t)
	var d SignInDecision
	expired := s.Expired(r, t)

	switch e.Type {
	case EventSignIn:
		switch {
		case s.Inactive:
			d.Code = SignInInactive
		case s.Locked:
			d.Code = SignInLocked
		case !e.OK:
			d.Code = SignInFailed
			s.Failures++
			s.LastFailure = t
			if r.ResetAfterFailures > 0 && s.Failures == r.ResetAfterFailures {
				d.ResetCredential = true
				s.MustChange = true
			}
			if r.FailedLimit > 0 && s.Failures >= r.FailedLimit {
				s.Locked, s.LockedAt = true, t
			}
		case e.Interface < NumInterfaces && sessionCap(a, e.Interface) > 0 && s.Sessions[e.Interface] >= sessionCap(a, e.Interface):
			d.Code = SignInTooManySessions
		default:
			d.Allowed = true
			s.Failures, s.LastFailure = 0, time.Time{}
			s.LastSignIn = t
			if e.Interface < NumInterfaces {
				s.Sessions[e.Interface]++
			}
			d.MustChange = expired || s.MustChange
			switch {
			case expired:
				d.Code = SignInExpired
			case s.MustChange:
				d.Code = SignInMustChange
			default:
				d.Code = SignInOK
			}
		}

	case EventSignOut:
		if e.Interface < NumInterfaces && s.Sessions[e.Interface] > 0 {
			s.Sessions[e.Interface]--
		}
		d.Code, d.Allowed = SignInSignedOut, true

	case EventChange:
		forced := expired || s.MustChange
		switch {
		case e.ByAdmin:
			s.unlock()
		case s.Inactive:
			d.Code = SignInInactive
		case s.Locked:
			d.Code = SignInLocked
		case !forced && r.MinChangeMinutes > 0 && !s.ChangedAt.IsZero() && !reached(s.ChangedAt, t, minutes(r.MinChangeMinutes)):
			d.Code = SignInChangeTooSoon
			d.RetryAt = s.ChangedAt.Add(minutes(r.MinChangeMinutes))
		}
		if d.Code == "" {
			d.Code, d.Allowed = SignInChanged, true
			s.ChangedAt = t
			s.MustChange = e.ByAdmin && e.MustChange
		}

	case EventUnlock:
		s.unlock()
		d.Code, d.Allowed = SignInUnlocked, true

	case EventActivate:
		s.Inactive = false
		s.LastSignIn = t
		d.Code, d.Allowed = SignInActivated, true

	case EventRequireChange:
		s.MustChange = true
		d.Code, d.Allowed = SignInChangeRequired, true

	default: // EventCheck, and any unknown type: the clock only
		d.MustChange = expired || s.MustChange
		switch {
		case s.Inactive:
			d.Code = SignInInactive
		case s.Locked:
			d.Code = SignInLocked
		case expired:
			d.Code, d.Allowed = SignInExpired, true
		case s.MustChange:
			d.Code, d.Allowed = SignInMustChange, true
		default:
			d.Code, d.Allowed = SignInOK, true
		}
	}

	d.Locked = s.Locked
	if s.Locked {
		if adminUnlockOnly(r) {
			d.AdminMustUnlock = true
		} else {
			d.LockedUntil = s.LockedAt.Add(minutes(r.LockoutMinutes))
		}
	}
	d.Remaining = -1
	if r.FailedLimit > 0 {
		d.Remaining = max(r.FailedLimit-s.Failures, 0)
	}
	return s, d
}

// Rule returns the credential rule for kind "pin" or "password".
func (p *Policy) Rule(kind string) (*CredentialRule, bool) {
	switch kind {
	case "pin":
		return &p.PIN.CredentialRule, true
	case "password":
		return &p.Password.CredentialRule, true
	}
	return nil, false
}
