package api

import (
	"context"
	"strconv"
	"sync"

	"github.com/tollgate/tollgate/core"
	"github.com/tollgate/tollgate/core/credential"
)

// PINRequest is the "pin" operation: check a PIN against a policy (the
// default profile when Policy is zero).
type PINRequest struct {
	Policy  PolicyRef  `json:"policy,omitzero"`
	PIN     string     `json:"pin"`
	Context PINContext `json:"context"`
}

// PINContext is what the PIN rules compare the PIN with (core.PINContext).
// DateOfBirth is YYYY-MM-DD; Year is the current year for the date rule's
// window (0 skips it).
type PINContext struct {
	Extensions      []string `json:"extensions,omitempty"`
	FirstName       string   `json:"first_name,omitempty"`
	LastName        string   `json:"last_name,omitempty"`
	DateOfBirth     string   `json:"dob,omitempty"`
	Year            int      `json:"year,omitempty"`
	Previous        []string `json:"previous,omitempty"`
	PreviousRecords []string `json:"previous_records,omitempty"`
}

// PasswordRequest is the "password" operation.
type PasswordRequest struct {
	Policy   PolicyRef       `json:"policy,omitzero"`
	Password string          `json:"password"`
	Context  PasswordContext `json:"context"`
}

// PasswordContext is what the password rules compare the password with
// (core.PasswordContext).
type PasswordContext struct {
	Alias           string   `json:"alias,omitempty"`
	Extensions      []string `json:"extensions,omitempty"`
	Old             string   `json:"old,omitempty"`
	Previous        []string `json:"previous,omitempty"`
	PreviousRecords []string `json:"previous_records,omitempty"`
}

// CheckPIN runs the PIN rules of r's policy.
func (s *Session) CheckPIN(ctx context.Context, r *PINRequest) (v Verdict, err error) {
	if r, err = r.valid(); err != nil {
		return Verdict{}, err
	}
	p, err := s.policy(r.Policy)
	if err != nil {
		return Verdict{}, err
	}
	// A date the rule cannot read would turn it off without a word;
	// the value is not repeated (it is personal data).
	if r.Context.DateOfBirth != "" && !core.ValidDateOfBirth(r.Context.DateOfBirth) {
		return Verdict{}, &Error{Code: ErrBadRequest, Field: "context.dob",
			Message: "want a calendar date as " + core.DateOfBirthFormat + " (e.g. 1970-01-31)"}
	}
	c := core.PINContext{
		Extensions: r.Context.Extensions, FirstName: r.Context.FirstName,
		LastName: r.Context.LastName, DateOfBirth: r.Context.DateOfBirth,
		Year: r.Context.Year, Previous: r.Context.Previous,
		PreviousRecords: r.Context.PreviousRecords,
	}
	if len(c.PreviousRecords) > 0 { // stored records: PBKDF2 work
		if err := historyWork(c.PreviousRecords, p.PIN.History); err != nil {
			return Verdict{}, err
		}
		st := s.stopper(ctx)
		c.Interrupt = st.stop
		defer func() {
			if st.fired {
				v, err = Verdict{}, errInterrupted
			}
		}()
	}
	cv := verdicts.Get().(*core.Verdict)
	p.CheckPIN(r.PIN, &c, cv)
	v = verdictOf(cv)
	verdicts.Put(cv)
	return v, nil
}

// verdicts are the core verdicts the checks fill in, reused: verdictOf
// copies a verdict's reasons out, so a refused check allocates its answer
// once instead of also growing a fresh core verdict reason by reason. A
// reason holds nothing of the input (core.Reason), so a pooled one keeps
// no secret.
var verdicts = sync.Pool{New: func() any { return new(core.Verdict) }}

// CheckPassword runs the password rules of r's policy.
func (s *Session) CheckPassword(ctx context.Context, r *PasswordRequest) (v Verdict, err error) {
	if r, err = r.valid(); err != nil {
		return Verdict{}, err
	}
	p, err := s.policy(r.Policy)
	if err != nil {
		return Verdict{}, err
	}
	list := s.passwords.Load()
	if p.Password.Blocklist && list == nil {
		return Verdict{}, errNoPasswords
	}
	c := core.PasswordContext{
		Alias: r.Context.Alias, Extensions: r.Context.Extensions, Old: r.Context.Old,
		Previous: r.Context.Previous, PreviousRecords: r.Context.PreviousRecords,
		Breached: list,
	}
	if len(c.PreviousRecords) > 0 {
		if err := historyWork(c.PreviousRecords, p.Password.History); err != nil {
			return Verdict{}, err
		}
		st := s.stopper(ctx)
		c.Interrupt = st.stop
		defer func() {
			if st.fired {
				v, err = Verdict{}, errInterrupted
			}
		}()
	}
	cv := verdicts.Get().(*core.Verdict)
	p.CheckPassword(r.Password, &c, cv)
	v = verdictOf(cv)
	verdicts.Put(cv)
	return v, nil
}

// MaxRequestIterations bounds the PBKDF2 iterations one request may make
// the engine derive: the stored records of a history the rule verifies
// (the first History of them). It is the longest history a policy allows
// (25) of records at the default count (600 000): about 8 s natively, too
// long for the WebAssembly engine within the decision service's deadline
// (docs/security.md). A single hash.verify is bounded by
// credential.MaxIterations for the record and as much for its rehash.
const MaxRequestIterations = 25 * credential.DefaultIterations

// historyWork refuses a history whose PBKDF2 records within depth add up
// to more than MaxRequestIterations. Records that do not parse cost
// nothing (they never match).
func historyWork(records []string, depth int) error {
	total := 0
	for i := 0; i < len(records) && i < depth; i++ {
		if r, err := credential.Parse(records[i]); err == nil {
			total += r.Iterations()
		}
	}
	if total > MaxRequestIterations {
		return &Error{Code: ErrBadRequest, Field: "context.previous_records", Message: "the PBKDF2 records within the history depth ask for " +
			strconv.Itoa(total) + " iterations together; at most " + strconv.Itoa(MaxRequestIterations) + " per request"}
	}
	return nil
}
