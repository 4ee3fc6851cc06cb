// Command jsgen produces what the JS package takes from Go, so the two
// cannot drift: the English message catalogue and the native responses the
// Node parity test compares the module's responses with.
//
//	go run ./js/internal/jsgen messages   # js/messages.en.json on stdout
//	go run ./js/internal/jsgen native     # native responses to the corpus
//	go run ./js/internal/jsgen do         # native responses to requests on stdin
//	go run ./js/internal/jsgen wasm       # the Go wasm engine's responses to requests on stdin
//
// The native output is one JSON array of {"id", "response"} in corpus order,
// run on one api.Session exactly as api's TestCorpus does, so that handles
// returned by loads agree with a single module instance run in the same
// order. The do mode reads a JSON array of [op, request text] pairs and
// writes the array of response texts, for the Node differential test. The
// wasm mode answers the same pairs on the Go host's wasm engine (one
// instance per pool), so that the JS package's engine handles can be held
// to the Go engine's: a pair ["fault", "1"] (or "2") injects that fault
// into an instance and answers {"fault": kind}.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"

	tollgate "github.com/tollgate/tollgate"
	"github.com/tollgate/tollgate/api"
	"github.com/tollgate/tollgate/internal/conformance"
	"github.com/tollgate/tollgate/internal/engine"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: jsgen messages|native|do")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "messages":
		var b []byte
		if b, err = messagesJSON(); err == nil {
			_, err = os.Stdout.Write(b)
		}
	case "native":
		err = native(os.Stdout)
	case "do":
		err = do(os.Stdin, os.Stdout)
	case "wasm":
		err = wasm(os.Stdin, os.Stdout)
	default:
		err = fmt.Errorf("unknown mode %q (want messages, native, do or wasm)", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "jsgen:", err)
		os.Exit(1)
	}
}

// nativeResult is one case's native response, as text: the parity test
// compares bytes, not parsed values.
type nativeResult struct {
	ID       string `json:"id"`
	Response string `json:"response"`
}

func native(w io.Writer) error {
	dir, err := conformance.Dir()
	if err != nil {
		return err
	}
	cases, err := conformance.Load(dir)
	if err != nil {
		return err
	}
	s, err := session()
	if err != nil {
		return err
	}
	out := make([]nativeResult, 0, len(cases))
	for i := range cases {
		c := &cases[i]
		res, _ := s.Do(c.Op, c.Request, nil)
		out = append(out, nativeResult{ID: c.ID(), Response: string(res)})
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(out)
}

// do runs each [op, request] of the JSON array on r on one session and
// writes the JSON array of responses (as strings) to w.
func do(r io.Reader, w io.Writer) error {
	var reqs [][2]string
	if err := json.NewDecoder(r).Decode(&reqs); err != nil {
		return fmt.Errorf("stdin: want a JSON array of [op, request] pairs: %v", err)
	}
	s, err := session()
	if err != nil {
		return err
	}
	out := make([]string, len(reqs))
	for i, q := range reqs {
		res, _ := s.Do(q[0], []byte(q[1]), nil)
		out[i] = string(res)
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(out)
}

// faulter is the wasm engine's fault injection (tests only; not part of
// engine.Engine).
type faulter interface {
	Fault(ctx context.Context, kind uint32) error
}

// wasm runs each [op, request] of the JSON array on r on the Go wasm
// engine and writes the JSON array of answers to w: the api's answer, or
// {"fault": kind} for an engine fault.
func wasm(r io.Reader, w io.Writer) error {
	var reqs [][2]string
	if err := json.NewDecoder(r).Decode(&reqs); err != nil {
		return fmt.Errorf("stdin: want a JSON array of [op, request] pairs: %v", err)
	}
	ctx := context.Background()
	e, err := engine.New(ctx, engine.Options{Kind: engine.Wasm, Module: tollgate.Module(), Data: tollgate.Data(), PoolSize: 1, HeavySize: 1})
	if err != nil {
		return err
	}
	defer e.Close()
	out := make([]string, len(reqs))
	for i, q := range reqs {
		var res []byte
		if q[0] == "fault" {
			f, ok := e.(faulter)
			if !ok {
				return errors.New("the wasm engine has no Fault method")
			}
			kind, perr := strconv.ParseUint(q[1], 10, 32)
			if perr != nil {
				return fmt.Errorf("pair %d: fault kind %q: %v", i, q[1], perr)
			}
			err = f.Fault(ctx, uint32(kind))
		} else {
			res, err = api.Do(ctx, e, q[0], []byte(q[1]), nil)
		}
		var fault *engine.Fault
		switch {
		case errors.As(err, &fault):
			res = []byte(`{"fault":"` + string(fault.Kind) + `"}`)
		case err != nil && len(res) == 0:
			return fmt.Errorf("pair %d (%s): %v", i, q[0], err)
		}
		out[i] = string(res)
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(out)
}

// session is a session with the committed data artifacts, as every engine
// loads them (the JS package too).
func session() (*api.Session, error) {
	s := api.NewSession()
	for _, b := range tollgate.Data() {
		if err := s.LoadData(b); err != nil {
			return nil, err
		}
	}
	return s, nil
}
