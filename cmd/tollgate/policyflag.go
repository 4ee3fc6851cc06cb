package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"

	tollgate "github.com/tollgate/tollgate"
	"github.com/tollgate/tollgate/api"
	"github.com/tollgate/tollgate/core"
)

// policyArg is a resolved --policy NAME|FILE value: the policy reference
// an api request takes and how to name it in messages. Commands that take
// --policy share it.
type policyArg struct {
	// Label is the profile name or the file's path as given.
	Label string
	// File is set when the policy came from a file.
	File bool
	// Ref is the policy: a profile (api.Profile) or a policy document
	// (api.PolicyJSON, docs/policy.md).
	Ref api.PolicyRef
	// doc is the document of a file, which withMinLength edits.
	doc []byte
	// Overridden names the fields set from the command line
	// ("pin.min_length"), so an error about them can name the flag.
	Overridden map[string]string
}

// policyFlagUsage is the --policy help text shared by every command.
var policyFlagUsage = "policy: a built-in profile (" + strings.Join(core.ProfileNames(), ", ") +
	") or a JSON policy file (docs/policy.md)"

// resolvePolicy turns a --policy value into a policyArg. A built-in profile
// name wins over a file of the same name (write ./cuc for the file); an
// empty value is the default profile, cuc. A file is read and checked to
// be JSON, no more: the engine validates it, so every engine reports the
// same errors.
func resolvePolicy(v string) (policyArg, error) {
	if v == "" {
		v = core.DefaultProfile
	}
	for _, name := range core.ProfileNames() {
		if v == name {
			return policyArg{Label: v, Ref: api.Profile(v)}, nil
		}
	}
	if _, err := os.Stat(v); os.IsNotExist(err) {
		return policyArg{}, fmt.Errorf("--policy %q is neither a built-in profile (%s) nor an existing file",
			v, strings.Join(core.ProfileNames(), ", "))
	}
	b, err := readDocument("--policy", v, maxPolicyFile, false)
	if err != nil {
		return policyArg{}, err
	}
	if !json.Valid(b) {
		// The document travels as JSON to the engine, so it must be JSON;
		// the core's parser says where it is not.
		_, err := core.ParsePolicy(b)
		if err == nil {
			err = fmt.Errorf("not JSON")
		}
		return policyArg{}, fmt.Errorf("--policy %s: %v", v, err)
	}
	return policyArg{Label: v, File: true, Ref: api.PolicyJSON(b), doc: b}, nil
}

// withMinLength returns pa with section.min_length ("pin" or "password")
// set to n. The value is not checked here: the engine range-checks it as it
// would in a policy file, and errorText then names the flag.
func (pa policyArg) withMinLength(section string, n int) (policyArg, error) {
	field := section + ".min_length"
	var doc []byte
	if pa.File {
		// A file is parsed to apply the override; the result is sent as
		// one complete document (name and extends included).
		p, err := core.ParsePolicy(pa.doc)
		if err != nil {
			return policyArg{}, fmt.Errorf("--policy %s: %v", pa.Label, err)
		}
		if section == "pin" {
			p.PIN.MinLength = n
		} else {
			p.Password.MinLength = n
		}
		doc, _ = json.Marshal(p)
	} else {
		doc, _ = json.Marshal(map[string]any{"extends": pa.Label, section: map[string]int{"min_length": n}})
	}
	pa.Ref, pa.doc = api.PolicyJSON(doc), doc
	pa.Overridden = map[string]string{field: "--min-length"}
	return pa, nil
}

// load loads the policy into c once (LoadPolicy validates it there, so
// every engine reports the same errors) and returns the reference later
// requests carry: its handle.
func (pa policyArg) load(ctx context.Context, c *tollgate.Checker) (api.PolicyRef, error) {
	info, err := c.LoadPolicy(ctx, pa.Ref)
	if err != nil {
		return api.PolicyRef{}, err
	}
	return api.PolicyHandle(info.Handle), nil
}

// errorText renders an error of a request that used pa: an api error on
// an overridden field names its flag, any other policy error names the
// file or profile.
func (pa policyArg) errorText(err error) string {
	var e *api.Error
	if !errors.As(err, &e) {
		return err.Error()
	}
	if flag, ok := pa.Overridden[e.Field]; ok && e.Field != "" {
		return flag + ": " + e.Message
	}
	if e.Code == api.ErrInvalidPolicy {
		if pa.File && len(pa.Overridden) == 0 {
			// The document is the file's text (an override rewrites it).
			f := docFile{"--policy", pa.Label, pa.doc}
			return f.policyError(err)
		}
		return "--policy " + pa.Label + ": " + e.Message
	}
	return e.Message
}
