package main

import (
	"bytes"
	"encoding/json"

	"github.com/tollgate/tollgate/core"
)

// catalogueFile is the format of js/messages.LANG.json: templates keyed by
// reason code, with {limit} and {detail} filled in as core.Render does.
// Details optionally translates the non-secret words a Reason's Detail holds.
type catalogueFile struct {
	Lang     string            `json:"lang"`
	Messages map[string]string `json:"messages"`
	Details  map[string]string `json:"details,omitempty"`
}

// messagesJSON renders core's English catalogue (encoding/json sorts the
// keys, so the output is stable).
func messagesJSON() ([]byte, error) {
	f := catalogueFile{Lang: "en", Messages: map[string]string{}}
	for c, t := range core.Catalogue() {
		f.Messages[string(c)] = t
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	err := enc.Encode(f)
	return b.Bytes(), err
}
