package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/tollgate/tollgate/core"
)

// policyArg is a resolved --policy NAME|FILE value: the JSON policy
// reference an api request takes ("policy": ...) and how to name it in
// messages. Commands that take --policy share it.
type policyArg struct {
	// Label is the profile name or the file's path as given.
	Label string
	// File is set when the policy came from a file.
	File bool
	// Doc is the policy reference: a profile name as a JSON string, or a
	// policy document (docs/policy.md).
	Doc json.RawMessage
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
			doc, _ := json.Marshal(v)
			return policyArg{Label: v, Doc: doc}, nil
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
		// The request embeds the document, so it must be JSON; the core's
		// parser says where it is not.
		_, err := core.ParsePolicy(b)
		if err == nil {
			err = fmt.Errorf("not JSON")
		}
		return policyArg{}, fmt.Errorf("--policy %s: %v", v, err)
	}
	return policyArg{Label: v, File: true, Doc: b}, nil
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
		p, err := core.ParsePolicy(pa.Doc)
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
	pa.Doc = doc
	pa.Overridden = map[string]string{field: "--min-length"}
	return pa, nil
}

// errorText renders an api error about a request that used pa: an error
// on an overridden field names its flag, any other policy error names the
// file or profile.
func (pa policyArg) errorText(code, field, msg string) string {
	if flag, ok := pa.Overridden[field]; ok && field != "" {
		return flag + ": " + msg
	}
	if code == "invalid_policy" {
		return "--policy " + pa.Label + ": " + msg
	}
	return msg
}
