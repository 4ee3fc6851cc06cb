package main

import (
	"errors"

	"github.com/tollgate/tollgate/internal/jsonx"
)

// errFound stops locate's walk at the value.
var errFound = errors.New("found")

// locate returns the byte offset in data of the value a path names, in
// the form errors give it (jsonx.Error's Path: "tables[2].rows[10].pattern"),
// so that the CLI, which holds the file, can say where in it an error is.
// It lives here rather than in package jsonx, which the modules link: a
// function there changed the modules' bytes even unused.
// It reports false when the path does not name a value of data: an index
// or key it does not have, a key a path shows by its length only, a path
// cut short with "...", or data that is not well-formed up to the value.
func locate(data []byte, path string) (int, bool) {
	d := jsonx.NewDecoder(data)
	for path != "" {
		var key string
		index := -1
		if path[0] == '[' {
			end := 1
			for end < len(path) && path[end] != ']' {
				end++
			}
			n, ok := jsonx.Atoi(path[1:end])
			if !ok || n < 0 || end == len(path) {
				return 0, false
			}
			index, path = n, path[end+1:]
		} else {
			end := 0
			for end < len(path) && path[end] != '.' && path[end] != '[' {
				end++
			}
			key, path = path[:end], path[end:]
			if !jsonx.SafeKey(key) {
				return 0, false
			}
		}
		if len(path) > 0 && path[0] == '.' {
			path = path[1:]
			if path == "" {
				return 0, false
			}
		}
		var err error
		if index >= 0 {
			if d.Kind() != jsonx.Array {
				return 0, false
			}
			err = d.Array(func(i int) error {
				if i == index {
					return errFound
				}
				return d.Skip()
			})
		} else {
			if d.Kind() != jsonx.Object {
				return 0, false
			}
			err = d.Object(func(k string) error {
				if k == key {
					return errFound
				}
				return d.Skip()
			})
		}
		if err != errFound {
			return 0, false
		}
	}
	if d.Kind() == jsonx.Invalid {
		return 0, false
	}
	return d.Offset(), true
}
