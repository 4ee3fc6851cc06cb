package api

import (
	"strconv"

	"github.com/tollgate/tollgate/core"
	"github.com/tollgate/tollgate/core/credential"
)

// PINRequest is the "pin" operation: check a PIN against a policy.
// Policy is a profile name ("cuc"), an inline policy object, or the handle
// a "policy.load" returned.
type PINRequest struct {
	Policy  RawJSON    `json:"policy,omitempty"`
	PIN     string     `json:"pin"`
	Context PINContext `json:"context"`
}

// PINContext is the JSON form of core.PINContext.
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
	Policy   RawJSON         `json:"policy,omitempty"`
	Password string          `json:"password"`
	Context  PasswordContext `json:"context"`
}

// PasswordContext is the JSON form of core.PasswordContext.
type PasswordContext struct {
	Alias           string   `json:"alias,omitempty"`
	Extensions      []string `json:"extensions,omitempty"`
	Old             string   `json:"old,omitempty"`
	Previous        []string `json:"previous,omitempty"`
	PreviousRecords []string `json:"previous_records,omitempty"`
}

func init() {
	register("pin", func(s *Session, req, out []byte) ([]byte, error) {
		var r PINRequest
		if err := decodeRequest(req, &r); err != nil {
			return nil, err
		}
		p, err := s.policy(r.Policy)
		if err != nil {
			return nil, err
		}
		// A date the rule cannot read would turn it off without a word;
		// the value is not repeated (it is personal data).
		if r.Context.DateOfBirth != "" && !core.ValidDateOfBirth(r.Context.DateOfBirth) {
			return nil, &Error{Code: ErrBadRequest, Field: "context.dob",
				Message: "want a calendar date as " + core.DateOfBirthFormat + " (e.g. 1970-01-31)"}
		}
		c := core.PINContext{
			Extensions: r.Context.Extensions, FirstName: r.Context.FirstName,
			LastName: r.Context.LastName, DateOfBirth: r.Context.DateOfBirth,
			Year: r.Context.Year, Previous: r.Context.Previous,
			PreviousRecords: r.Context.PreviousRecords, Interrupt: s.interrupt,
		}
		if err := historyWork(c.PreviousRecords, p.PIN.History); err != nil {
			return nil, err
		}
		var v core.Verdict
		p.CheckPIN(r.PIN, &c, &v)
		return AppendVerdict(out, &v), nil
	})
	register("password", func(s *Session, req, out []byte) ([]byte, error) {
		var r PasswordRequest
		if err := decodeRequest(req, &r); err != nil {
			return nil, err
		}
		p, err := s.policy(r.Policy)
		if err != nil {
			return nil, err
		}
		if p.Password.Blocklist && s.passwords == nil {
			return nil, errNoPasswords
		}
		c := core.PasswordContext{
			Alias: r.Context.Alias, Extensions: r.Context.Extensions, Old: r.Context.Old,
			Previous: r.Context.Previous, PreviousRecords: r.Context.PreviousRecords,
			Breached:  s.passwords,
			Interrupt: s.interrupt,
		}
		if err := historyWork(c.PreviousRecords, p.Password.History); err != nil {
			return nil, err
		}
		var v core.Verdict
		p.CheckPassword(r.Password, &c, &v)
		return AppendVerdict(out, &v), nil
	})
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
