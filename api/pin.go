package api

import (
	"context"

	"github.com/tollgate/tollgate/core"
)

// PINRequest is the "pin" operation: check a PIN against a policy (the
// default profile when Policy is zero).
type PINRequest struct {
	Policy  PolicyRef  `json:"policy,omitempty"`
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
	Policy   PolicyRef       `json:"policy,omitempty"`
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
func (s *Session) CheckPIN(_ context.Context, r *PINRequest) (Verdict, error) {
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
	var v core.Verdict
	p.CheckPIN(r.PIN, &c, &v)
	return verdictOf(&v), nil
}

// CheckPassword runs the password rules of r's policy.
func (s *Session) CheckPassword(_ context.Context, r *PasswordRequest) (Verdict, error) {
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
	var v core.Verdict
	p.CheckPassword(r.Password, &c, &v)
	return verdictOf(&v), nil
}
