package core

// Scaffolding replaced by the foundation work (issue 2); kept only so the
// tree builds while the rules are written. Every function here is removed
// when its real implementation lands.

// Profile returns the named built-in profile.
func Profile(name string) (*Policy, error) { return nil, &PolicyError{Field: "extends", Value: name, Msg: "not implemented"} }

// ParsePolicy decodes a JSON policy document.
func ParsePolicy(data []byte) (*Policy, error) { return nil, &PolicyError{Msg: "not implemented"} }

// PolicyError reports an invalid policy: which field, its value and the
// allowed range. It never carries a secret.
type PolicyError struct {
	Field   string
	Value   string
	Allowed string
	Msg     string
}

func (e *PolicyError) Error() string { return "policy: " + e.Field + ": " + e.Msg }

// CheckPIN checks pin against p.PIN with context c, filling v.
func (p *Policy) CheckPIN(pin string, c *PINContext, v *Verdict) { v.Reset() }

// CheckPassword checks pw against p.Password with context c, filling v.
func (p *Policy) CheckPassword(pw string, c *PasswordContext, v *Verdict) { v.Reset() }
