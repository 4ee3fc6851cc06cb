package api

import (
	"bytes"
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
	Policy RawJSON     `json:"policy,omitempty"`
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

func init() {
	register("signin", func(s *Session, req, out []byte) ([]byte, error) {
		var r SignInRequest
		if err := decodeRequest(req, &r); err != nil {
			return nil, err
		}
		p, err := s.policy(r.Policy)
		if err != nil {
			return nil, err
		}
		kind := r.Kind
		if kind == "" {
			kind = "pin"
		}
		rule, ok := p.Rule(kind)
		if !ok {
			return nil, &Error{Code: ErrBadRequest, Field: "kind", Message: `kind must be "pin" or "password"`}
		}
		st, err := r.State.core()
		if err != nil {
			return nil, err
		}
		ev, err := r.Event.core(kind)
		if err != nil {
			return nil, err
		}
		next, d := core.SignIn(rule, &p.Account, st, ev)
		out = append(out, `{"state":`...)
		out = appendSignInState(out, &next)
		out = append(out, `,"decision":`...)
		out = appendDecision(out, &d)
		return append(out, '}'), nil
	})
}

// ForgetAt reports from when a host that keeps an account's sign-in state
// may drop it and start again from a new account's: state is the "state"
// the signin operation answered, under policy (a profile name, a policy
// document or nothing for the default profile; not a handle) and kind, as
// in the request. From the time returned on, every event decides as it
// does for a new account; ok is false while the state must be kept
// (core.SignInState.ForgetAt says when). A zero time with ok means at
// once.
//
// It is for hosts, natively (the decision service's memory store): no
// operation calls it, so it is not part of the WebAssembly module.
func (s *Session) ForgetAt(policy RawJSON, kind string, state []byte) (at time.Time, ok bool, err error) {
	if c := bytes.TrimSpace(policy); len(c) > 0 && c[0] >= '0' && c[0] <= '9' {
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
	var js SignInState
	if err := decodeRequest(state, &js); err != nil {
		return at, false, err
	}
	st, err := js.core()
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

func appendTime(b []byte, t time.Time) []byte {
	if t.IsZero() {
		return append(b, "null"...)
	}
	b = append(b, '"')
	return append(rfc3339.Append(b, t), '"')
}

// appendSignInState writes every field, in a fixed order, so the state is
// byte-identical across engines and round-trips through SignInState.
func appendSignInState(b []byte, s *core.SignInState) []byte {
	b = append(b, `{"failures":`...)
	b = strconv.AppendInt(b, int64(s.Failures), 10)
	b = append(b, `,"last_failure":`...)
	b = appendTime(b, s.LastFailure)
	b = append(b, `,"locked_at":`...)
	if s.Locked {
		b = appendTime(b, s.LockedAt)
	} else {
		b = append(b, "null"...)
	}
	b = append(b, `,"must_change":`...)
	b = strconv.AppendBool(b, s.MustChange)
	b = append(b, `,"changed_at":`...)
	b = appendTime(b, s.ChangedAt)
	b = append(b, `,"last_signin":`...)
	b = appendTime(b, s.LastSignIn)
	b = append(b, `,"inactive":`...)
	b = strconv.AppendBool(b, s.Inactive)
	b = append(b, `,"sessions":{`...)
	for i := core.Interface(0); i < core.NumInterfaces; i++ {
		if i > 0 {
			b = append(b, ',')
		}
		b = AppendString(b, i.String())
		b = append(b, ':')
		b = strconv.AppendInt(b, int64(s.Sessions[i]), 10)
	}
	return append(b, "}}"...)
}

// appendDecision writes {"code", "allowed", "must_change", "locked",
// "locked_until", "admin_must_unlock", "reset_credential", "remaining",
// "retry_at"}; locked_until and retry_at are null when not set, remaining
// is -1 when failures are not limited.
func appendDecision(b []byte, d *core.SignInDecision) []byte {
	b = append(b, `{"code":`...)
	b = AppendString(b, string(d.Code))
	b = append(b, `,"allowed":`...)
	b = strconv.AppendBool(b, d.Allowed)
	b = append(b, `,"must_change":`...)
	b = strconv.AppendBool(b, d.MustChange)
	b = append(b, `,"locked":`...)
	b = strconv.AppendBool(b, d.Locked)
	b = append(b, `,"locked_until":`...)
	b = appendTime(b, d.LockedUntil)
	b = append(b, `,"admin_must_unlock":`...)
	b = strconv.AppendBool(b, d.AdminMustUnlock)
	b = append(b, `,"reset_credential":`...)
	b = strconv.AppendBool(b, d.ResetCredential)
	b = append(b, `,"remaining":`...)
	b = strconv.AppendInt(b, int64(d.Remaining), 10)
	b = append(b, `,"retry_at":`...)
	b = appendTime(b, d.RetryAt)
	return append(b, '}')
}
