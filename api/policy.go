package api

import (
	"bytes"
	"strconv"

	"github.com/tollgate/tollgate/core"
	"github.com/tollgate/tollgate/internal/jsonx"
)

// DefaultProfile is used when a request names no policy.
const DefaultProfile = "cuc"

func init() {
	// "policy.load" validates a policy (a profile name or an object) and
	// returns a handle later requests may use in place of the document:
	// {"handle": N, "name": "..."}.
	register("policy.load", func(s *Session, req, out []byte) ([]byte, error) {
		p, err := s.parsePolicy(req)
		if err != nil {
			return nil, err
		}
		s.policies = append(s.policies, p)
		h := len(s.policies) - 1
		out = append(out, `{"handle":`...)
		out = strconv.AppendInt(out, int64(h), 10)
		out = append(out, `,"name":`...)
		out = AppendString(out, s.policies[h].Name)
		return append(out, '}'), nil
	})
}

// policy resolves a request's policy reference.
func (s *Session) policy(ref RawJSON) (*core.Policy, error) {
	ref = bytes.TrimSpace(ref)
	if len(ref) == 0 || string(ref) == "null" {
		ref = []byte(`"` + DefaultProfile + `"`)
	}
	if c := ref[0]; c >= '0' && c <= '9' {
		h, ok := jsonx.Atoi(string(ref))
		if !ok || h >= len(s.policies) || s.policies[h] == nil {
			return nil, &Error{Code: ErrBadRequest, Field: "policy", Message: "no loaded policy with handle " + string(ref)}
		}
		return s.policies[h], nil
	}
	return s.parsePolicy(ref)
}

// parsePolicy parses a policy document (a profile name string or an
// object), caching by its text so a document repeated inline in many
// requests is parsed once.
func (s *Session) parsePolicy(doc []byte) (*core.Policy, error) {
	doc = bytes.TrimSpace(doc)
	if p, ok := s.policyByText[string(doc)]; ok { // no copy to look up
		return p, nil
	}
	key := string(doc)
	var p *core.Policy
	var err error
	if len(key) > 0 && key[0] == '"' {
		var name string
		if name, err = readName(key); err != nil {
			return nil, err
		}
		p, err = core.Profile(name)
	} else {
		p, err = core.ParsePolicy([]byte(key))
	}
	if err != nil {
		return nil, policyError(err)
	}
	if len(s.policyByText) >= maxCached {
		s.policyByText = map[string]*core.Policy{}
	}
	s.policyByText[key] = p
	return p, nil
}

func policyError(err error) *Error {
	if pe, ok := err.(*core.PolicyError); ok { // never wrapped
		return &Error{Code: ErrInvalidPolicy, Field: pe.Field, Message: pe.Error()}
	}
	return &Error{Code: ErrInvalidPolicy, Message: err.Error()}
}

// readName reads a document that is a JSON string: a profile or built-in
// tables name.
func readName(doc string) (string, error) {
	d := jsonx.NewDecoder([]byte(doc))
	name, err := d.String()
	if err == nil {
		err = d.End()
	}
	if err != nil {
		return "", requestError(err)
	}
	return name, nil
}
