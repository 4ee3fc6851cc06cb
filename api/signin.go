package api

import (
	"context"
	"strconv"
	"time"

	"github.com/tollgate/tollgate/core"
	"github.com/tollgate/tollgate/internal/rfc3339"
)

// SignInRequest is the "signin" operation: apply one event to an account's
// sign-in state under a policy. The answer is {"state", "decision"}.
// Kind is "pin" (the default) or "password"
// and picks the policy's credential rule. State is what the previous call
// returned (absent for a new account); Event is what happened. The host
// keeps the state; see docs/credentials.md for every field.
type SignInRequest struct {
	Policy PolicyRef   `json:"policy,omitzero"`
	Kind   string      `json:"kind,omitempty"`
	State  SignInState `json:"state"`
	Event  SignInEvent `json:"event"`
}

// SignInState is the JSON form of core.SignInState. Times are RFC 3339;
// null or absent means unknown. LockedAt set means locked.
type SignInState struct {
	Failures    int            `json:"failures"`
	LastFailure *string        `json:"last_failure"`
	LockedAt    *string        `json:"locked_at"`
	MustChange  bool           `json:"must_change"`
	ChangedAt   *string        `json:"changed_at"`
	LastSignIn  *string        `json:"last_signin"`
	Inactive    bool           `json:"inactive"`
	Sessions    map[string]int `json:"sessions,omitempty"`
}

// SignInEvent is the JSON form of core.SignInEvent. Type is one of signin,
// signout, change, unlock, activate, require_change, check. Interface
// defaults to telephony for a PIN and web for a password; By is "user"
// (the default) or "admin".
type SignInEvent struct {
	Type       string `json:"type"`
	At         string `json:"at"`
	OK         bool   `json:"ok,omitempty"`
	Interface  string `json:"interface,omitempty"`
	By         string `json:"by,omitempty"`
	MustChange bool   `json:"must_change,omitempty"`
}

// Bounds on state counters, so a corrupted stored state is refused rather
// than carried along.
const (
	maxStateFailures = 1_000_000
	maxStateSessions = 100_000
)

// SignIn applies r's event to r's state under the credential rule of r's
// kind.
func (s *Session) SignIn(_ context.Context, r *SignInRequest) (SignInResult, error) {
	p, err := s.policy(r.Policy)
	if err != nil {
		return SignInResult{}, err
	}
	kind := r.Kind
	if kind == "" {
		kind = "pin"
	}
	rule, ok := p.Rule(kind)
	if !ok {
		return SignInResult{}, &Error{Code: ErrBadRequest, Field: "kind", Message: `kind must be "pin" or "password"`}
	}
	st, err := r.State.core()
	if err != nil {
		return SignInResult{}, err
	}
	ev, err := r.Event.core(kind)
	if err != nil {
		return SignInResult{}, err
	}
	next, d := core.SignIn(rule, &p.Account, st, ev)
	return SignInResult{State: stateOf(&next), Decision: decisionOf(&d)}, nil
}

// ForgetAt reports from when a host that keeps an account's sign-in state
// may drop it and start again from a new account's: state is the state
// the signin operation answered, under policy (a profile name, a policy
// document or the default profile; not a handle) and kind, as in the
// request. From the time returned on, every event decides as it does for
// a new account; ok is false while the state must be kept
// (core.SignInState.ForgetAt says when). A zero time with ok means at
// once.
//
// It is for hosts, natively (the decision service's memory store): no
// operation calls it, so it is not part of the WebAssembly module.
func (s *Session) ForgetAt(policy PolicyRef, kind string, state *SignInState) (at time.Time, ok bool, err error) {
	if _, isHandle := policy.Handle(); isHandle {
		return at, false, &Error{Code: ErrBadRequest, Field: "policy", Message: "ForgetAt takes a policy document or name, not a handle"}
	}
	p, err := s.policy(policy)
	if err != nil {
		return at, false, err
	}
	if kind == "" {
		kind = "pin"
	}
	rule, found := p.Rule(kind)
	if !found {
		return at, false, &Error{Code: ErrBadRequest, Field: "kind", Message: `kind must be "pin" or "password"`}
	}
	st, err := state.core()
	if err != nil {
		return at, false, err
	}
	at, ok = st.ForgetAt(rule, &p.Account)
	return at, ok, nil
}

func parseTime(field string, v *string) (time.Time, error) {
	if v == nil || *v == "" {
		return time.Time{}, nil
	}
	t, ok := rfc3339.Parse(*v)
	if !ok {
		return time.Time{}, &Error{Code: ErrBadRequest, Field: field, Message: "want an RFC 3339 time such as 2026-01-05T09:00:00Z"}
	}
	return t, nil
}

func (j *SignInState) core() (core.SignInState, error) {
	var s core.SignInState
	if j.Failures < 0 || j.Failures > maxStateFailures {
		return s, &Error{Code: ErrBadRequest, Field: "state.failures", Message: "failures " + strconv.Itoa(j.Failures) + " outside 0.." + strconv.Itoa(maxStateFailures)}
	}
	s.Failures = j.Failures
	var err error
	if s.LastFailure, err = parseTime("state.last_failure", j.LastFailure); err != nil {
		return s, err
	}
	if s.LockedAt, err = parseTime("state.locked_at", j.LockedAt); err != nil {
		return s, err
	}
	s.Locked = !s.LockedAt.IsZero()
	if s.ChangedAt, err = parseTime("state.changed_at", j.ChangedAt); err != nil {
		return s, err
	}
	if s.LastSignIn, err = parseTime("state.last_signin", j.LastSignIn); err != nil {
		return s, err
	}
	s.MustChange, s.Inactive = j.MustChange, j.Inactive
	for name, n := range j.Sessions {
		i, ok := core.ParseInterface(name)
		if !ok || name == "visual_voicemail" {
			return s, &Error{Code: ErrBadRequest, Field: "state.sessions", Message: "unknown interface; want telephony, imap or web"}
		}
		if n < 0 || n > maxStateSessions {
			return s, &Error{Code: ErrBadRequest, Field: "state.sessions." + name, Message: "sessions " + strconv.Itoa(n) + " outside 0.." + strconv.Itoa(maxStateSessions)}
		}
		s.Sessions[i] = n
	}
	return s, nil
}

func (j *SignInEvent) core(kind string) (core.SignInEvent, error) {
	var e core.SignInEvent
	// The event (absent or null reads as one without a type), its type
	// and its time are required.
	const types = "signin, signout, change, unlock, activate, require_change or check"
	if j.Type == "" {
		return e, &Error{Code: ErrBadRequest, Field: "event.type", Message: "required: the event and its type, " + types}
	}
	t, ok := core.ParseEventType(j.Type)
	if !ok {
		return e, &Error{Code: ErrBadRequest, Field: "event.type", Message: "want " + types}
	}
	e.Type = t
	if j.At == "" {
		return e, &Error{Code: ErrBadRequest, Field: "event.at", Message: "required: the event's time, RFC 3339 (core reads no clock)"}
	}
	at, err := parseTime("event.at", &j.At)
	if err != nil {
		return e, err
	}
	e.At = at
	iface := j.Interface
	if iface == "" {
		iface = "telephony"
		if kind == "password" {
			iface = "web"
		}
	}
	if e.Interface, ok = core.ParseInterface(iface); !ok {
		return e, &Error{Code: ErrBadRequest, Field: "event.interface", Message: "want telephony, visual_voicemail, imap or web"}
	}
	switch j.By {
	case "", "user":
	case "admin":
		e.ByAdmin = true
	default:
		return e, &Error{Code: ErrBadRequest, Field: "event.by", Message: `want "user" or "admin"`}
	}
	e.OK, e.MustChange = j.OK, j.MustChange
	return e, nil
}

// timeText is t in RFC 3339, nil when t is zero.
func timeText(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := string(rfc3339.Append(nil, t))
	return &s
}

// stateOf is the wire form of s: every interface is listed, so the state
// is byte-identical across engines and round-trips.
func stateOf(s *core.SignInState) SignInState {
	out := SignInState{
		Failures: s.Failures, LastFailure: timeText(s.LastFailure),
		MustChange: s.MustChange, ChangedAt: timeText(s.ChangedAt),
		LastSignIn: timeText(s.LastSignIn), Inactive: s.Inactive,
		Sessions: make(map[string]int, core.NumInterfaces),
	}
	if s.Locked {
		out.LockedAt = timeText(s.LockedAt)
	}
	for i := core.Interface(0); i < core.NumInterfaces; i++ {
		out.Sessions[i.String()] = s.Sessions[i]
	}
	return out
}

func decisionOf(d *core.SignInDecision) SignInDecision {
	return SignInDecision{
		Code: string(d.Code), Allowed: d.Allowed, MustChange: d.MustChange,
		Locked: d.Locked, LockedUntil: timeText(d.LockedUntil),
		AdminMustUnlock: d.AdminMustUnlock, ResetCredential: d.ResetCredential,
		Remaining: d.Remaining, RetryAt: timeText(d.RetryAt),
	}
}
