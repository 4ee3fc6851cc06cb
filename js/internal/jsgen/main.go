// Command jsgen produces what the JS package takes from Go, so the two
// cannot drift: the English message catalogue and the native responses the
// Node parity test compares the module's responses with.
//
//	go run ./js/internal/jsgen messages   # js/messages.en.json on stdout
//	go run ./js/internal/jsgen native     # native responses to the corpus
//	go run ./js/internal/jsgen do         # native responses to requests on stdin
//
// The native output is one JSON array of {"id", "response"} in corpus order,
// run on one api.Session exactly as api's TestCorpus does, so that handles
// returned by loads agree with a single module instance run in the same
// order. The do mode reads a JSON array of [op, request text] pairs and
// writes the array of response texts, for the Node differential test.
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/tollgate/tollgate/api"
	_ "github.com/tollgate/tollgate/data" // native answers classify destinations
	"github.com/tollgate/tollgate/internal/conformance"
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
	default:
		err = fmt.Errorf("unknown mode %q (want messages, native or do)", os.Args[1])
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
	s := api.NewSession()
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
	s := api.NewSession()
	out := make([]string, len(reqs))
	for i, q := range reqs {
		res, _ := s.Do(q[0], []byte(q[1]), nil)
		out[i] = string(res)
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(out)
}
