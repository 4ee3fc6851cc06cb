package api

import (
	"github.com/tollgate/tollgate/core"
	"github.com/tollgate/tollgate/core/artifact"
	"github.com/tollgate/tollgate/core/destination"
)

// Data is one parsed data artifact (docs/abi.md, "Data artifacts"), ready
// to be added to sessions. It is immutable (no exported fields): one Data
// may serve every session of a process.
type Data struct {
	_ [0]func() // not comparable: no equality code in the module

	name         string
	version      string
	passwords    *core.PasswordList
	destinations *destination.Table
	payload      []byte
}

// Name is the artifact's name (DataPasswords, DataDestinations).
func (d *Data) Name() string { return d.name }

// Version is the version its header gives, "" for a bare payload
// (ParsePayload).
func (d *Data) Version() string { return d.version }

// Data artifact names the api knows.
const (
	// DataPasswords is the breached-password list of the password
	// blocklist (wasm/passwords.tgd).
	DataPasswords = "passwords"
	// DataDestinations is libphonenumber's metadata compiled for
	// core/destination (wasm/destinations.tgd): a tables document that
	// declares a region needs it.
	DataDestinations = "destinations"
)

// ParseData verifies an artifact file (header, checksum) and parses its
// payload: what a host does with a file before handing the payload to an
// engine. The result keeps b: the caller must not modify it.
func ParseData(b []byte) (*Data, error) {
	a, err := artifact.Parse(b)
	if err != nil {
		return nil, &Error{Code: ErrBadData, Message: err.Error()}
	}
	d, err := ParsePayload(a.Name, a.Payload)
	if err != nil {
		return nil, err
	}
	d.version = a.Version
	return d, nil
}

// ParsePayload parses the payload of the artifact called name (whose
// container a host has already verified: the data_load export receives
// name and payload, docs/abi.md).
func ParsePayload(name string, payload []byte) (*Data, error) {
	d := &Data{name: name, payload: payload}
	var err error
	switch name {
	case DataPasswords:
		d.passwords, err = core.ParsePasswordList(payload)
	case DataDestinations:
		d.destinations, err = destination.Load(payload)
	default:
		return nil, errUnknownData
	}
	if err != nil {
		return nil, &Error{Code: ErrBadData, Message: err.Error()}
	}
	return d, nil
}

// Payload returns the artifact's payload (which a host hands to a wasm
// instance through data_load): the bytes given to ParseData, not a copy
// (a payload is megabytes, copied into every instance); the caller must
// not modify them.
func (d *Data) Payload() []byte { return d.payload }

var errUnknownData = &Error{Code: ErrBadData, Message: "not a data artifact this build knows (it knows passwords, destinations)"}

// AddData makes d available to the session's operations, replacing an
// artifact of the same name.
func (s *Session) AddData(d *Data) {
	if d.passwords != nil {
		s.passwords.Store(d.passwords)
	}
	if d.destinations != nil {
		s.setDestinations(d.destinations)
	}
}

// setDestinations replaces the destination table. Inline documents
// compiled with the old one are forgotten; loaded ones keep the table
// they were compiled with.
func (s *Session) setDestinations(t *destination.Table) {
	s.cacheMu.Lock()
	s.destinations.Store(t)
	s.inlineTables, s.cachedBytes = nil, 0
	s.cacheMu.Unlock()
}

// LoadPayload parses a verified artifact's payload (ParsePayload) and
// adds it to the session: the module's path (data_load).
func (s *Session) LoadPayload(name string, payload []byte) error {
	d, err := ParsePayload(name, payload)
	if err != nil {
		return err
	}
	s.AddData(d)
	return nil
}

// errNoPasswords answers a password check whose policy turns the blocklist
// on when the session has no breached-password list: never a silent
// acceptance.
var errNoPasswords = &Error{Code: ErrDataMissing, Field: "policy",
	Message: "the policy's password blocklist needs the \"passwords\" data artifact (wasm/passwords.tgd), which this engine has not loaded; see docs/abi.md, Data artifacts"}

// LoadData verifies and parses an artifact file (ParseData) and adds it to
// the session: tollgate.Data() holds the committed ones.
func (s *Session) LoadData(file []byte) error {
	d, err := ParseData(file)
	if err != nil {
		return err
	}
	s.AddData(d)
	return nil
}
