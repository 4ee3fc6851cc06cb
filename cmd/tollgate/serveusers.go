package main

import (
	"encoding/json"

	"github.com/tollgate/tollgate"
	"github.com/tollgate/tollgate/core/destination"
	"github.com/tollgate/tollgate/core/dialplan"
	"github.com/tollgate/tollgate/export"
	"github.com/tollgate/tollgate/internal/directory"
)

// usersDirectory loads serve's --users file and checks, against the
// service's default tables, that every class of service it (or
// --default-cos) names exists: a typo would otherwise surface as a 400 on
// a caller's first call. tablesDoc is --tables' document (nil: the
// built-in default set); enc is the file's --encoding.
//
// The tables are parsed first, and a failure there is a *badTablesError:
// serve reports it against --tables, as it does without --users.
func usersDirectory(path, defaultCOS, enc string, tablesDoc []byte) (*directory.Directory, error) {
	var set *dialplan.Set
	var name string
	var err error
	switch {
	case tablesDoc == nil:
		set, err = dialplan.Builtin(dialplan.SetDefault)
	case json.Unmarshal(tablesDoc, &name) == nil:
		set, err = dialplan.Builtin(name)
	default:
		// A document that declares a region needs the destination data,
		// as the engine that serves it has (tollgate.Data).
		var dest *destination.Table
		if dest, err = tollgate.Destinations(); err == nil {
			// No path: serve's error names the file, with the line.
			set, err = dialplan.LoadOptions("", tablesDoc, dialplan.Options{Destinations: dest})
		}
	}
	if err != nil {
		return nil, &badTablesError{err}
	}
	// Read whole, but bounded by the directory; a pipe is fine, a device
	// (/dev/zero: 256 MiB of one line) is not.
	f, err := openStream("", path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	dir, err := directory.Read(path, f, defaultCOS, export.Encoding(enc))
	if err != nil {
		return nil, err
	}
	var known []string
	for _, c := range set.ClassesOfService() {
		known = append(known, c.Name)
	}
	if err := dir.CheckClasses(known); err != nil {
		return nil, err
	}
	return dir, nil
}

// badTablesError is usersDirectory's error for tables that do not parse.
type badTablesError struct{ err error }

func (e *badTablesError) Error() string { return e.err.Error() }
func (e *badTablesError) Unwrap() error { return e.err }
