package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/tollgate/tollgate/internal/server"
	"github.com/tollgate/tollgate/internal/textenc"
)

func init() {
	register(&command{
		name:    "serve",
		summary: "run the decision service (HTTP JSON API, /metrics, /healthz)",
		run:     runServe,
	})
}

// serveSignals are the signals that stop the service gracefully; a
// variable so a test can see what is handled.
var serveSignals = []os.Signal{syscall.SIGTERM, os.Interrupt}

const serveUsage = `Usage: tollgate serve [flags]

Runs the decision service: POST /v1/pin, /v1/password, /v1/dial,
/v1/hash/verify, /v1/lint, /v1/signin/{user}; GET /healthz, /metrics.
See docs/api.md. Stops gracefully on SIGTERM or SIGINT.
`

func runServe(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("tollgate serve", flag.ContinueOnError)
	listen := fs.String("listen", server.DefaultAddr, "address to listen on (host:port); loopback unless --allow-remote")
	allowRemote := fs.Bool("allow-remote", false, "allow a --listen address that is not loopback")
	policy := fs.String("policy", "", "default policy: a profile name (cuc, cuc-esm, cucm, exchange-um, nist-800-63b-4) or a JSON policy file")
	tables := fs.String("tables", "", "default restriction tables: a built-in set name or a JSON tables file")
	tokenFile := fs.String("token-file", "", "file holding the bearer token clients must send (also: $TOLLGATE_TOKEN)")
	adminTokenFile := fs.String("admin-token-file", "", "file holding the administrator's bearer token, which unlock, activate, require_change and changes by an administrator need (without it they are refused)")
	maxBody := fs.Int64("max-body", server.DefaultMaxBodyBytes, "largest request body in bytes")
	bodyTimeout := fs.Duration("body-timeout", server.DefaultBodyTimeout, "time a client has to send its request body")
	logFormat := fs.String("log", "text", "log format on stderr: text or json")
	users := fs.String("users", "", "users file (CSV in the audit's format: extension, alternate extensions, class of service) turning a dial request's \"caller\" into its class of service")
	defaultCOS := fs.String("default-cos", "", "class of service of a caller --users does not list (empty: refused with unknown_caller)")
	usersEncoding := fs.String("encoding", textenc.Auto, "encoding of the --users file: "+textenc.Allowed+"; auto reads a byte-order mark, else UTF-8 or Windows-1252 from the text")
	engine := engineFlag(fs)
	if code, done := parseFlags(fs, args, serveUsage, stdout, stderr); done {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "tollgate serve: unexpected argument %q\n", fs.Arg(0))
		return exitUsage
	}
	fail := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "tollgate serve: "+format+"\n", a...)
		return exitUsage
	}

	var handler slog.Handler
	switch *logFormat {
	case "text":
		handler = slog.NewTextHandler(stderr, nil)
	case "json":
		handler = slog.NewJSONHandler(stderr, nil)
	default:
		return fail("--log %q: want text or json", *logFormat)
	}
	logger := slog.New(handler)

	if !*allowRemote && !server.IsLoopback(*listen) {
		return fail("--listen %s is not a loopback address; the service answers questions about secrets, so add --allow-remote (and a --token-file) to expose it", *listen)
	}
	token := os.Getenv("TOLLGATE_TOKEN")
	if *tokenFile != "" {
		b, err := os.ReadFile(*tokenFile)
		if err != nil {
			return fail("--token-file: %v", err)
		}
		token = strings.TrimSpace(string(b))
		if token == "" {
			return fail("--token-file %s is empty", *tokenFile)
		}
	}

	var adminToken string
	if *adminTokenFile != "" {
		var err error
		if adminToken, err = readTokenFile(*adminTokenFile); err != nil {
			return fail("--admin-token-file: %v", err)
		}
		if adminToken == token && token != "" {
			return fail("--admin-token-file holds the same token as --token-file; the administrator's must be its own")
		}
	}

	eng, err := openEngine(*engine)
	if err != nil {
		return fail("--engine %s: %v", *engine, err)
	}
	defer eng.Close()

	cfg := server.Config{
		Engine: eng, Token: token, AdminToken: adminToken, Logger: logger,
		MaxBodyBytes: *maxBody, BodyTimeout: *bodyTimeout,
	}
	// server.New loads these once through the engine (a bad one is a
	// usage error, not a 400 on every request) and requests carry the
	// handles.
	if *policy != "" {
		if cfg.Policy, err = documentArg(*policy); err != nil {
			return fail("--policy: %v", err)
		}
	}
	if *tables != "" {
		if cfg.Tables, err = documentArg(*tables); err != nil {
			return fail("--tables: %v", err)
		}
	}
	usersEnc, err := textenc.Parse(*usersEncoding)
	if err != nil {
		return fail("--encoding: %v", err)
	}
	if *users != "" {
		dir, err := usersDirectory(*users, *defaultCOS, usersEnc, *tables, cfg.Tables)
		var bt *badTablesError
		if errors.As(err, &bt) {
			return fail("--tables %s: %v", *tables, err)
		}
		if err != nil {
			return fail("--users: %v", err)
		}
		cfg.Directory = dir
		logger.Info("users", "file", *users, "encoding", dir.Encoding(), "extensions", dir.Extensions(), "default_cos", dir.Default())
	} else if *defaultCOS != "" {
		return fail("--default-cos needs --users")
	} else if usersEnc != textenc.Auto {
		return fail("--encoding needs --users")
	}
	srv, err := server.New(cfg)
	if err != nil {
		var de *server.DefaultError
		if errors.As(err, &de) {
			arg := map[string]string{"policy": *policy, "tables": *tables}[de.Key]
			return fail("--%s %s: %v", de.Key, arg, de.Err)
		}
		return fail("%v", err)
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return fail("%v", err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), serveSignals...)
	defer stop()
	logger.Info("listening", "addr", ln.Addr().String(), "engine", *engine,
		"policy", *policy, "tables", *tables, "token", token != "", "admin_token", adminToken != "")
	if err := srv.Serve(ctx, ln); err != nil {
		logger.Error("serve", "error", err.Error())
		return exitRefused
	}
	return exitOK
}

// maxTokenBytes bounds a token file: a token is a line, and a path to the
// wrong file (a log, /dev/zero) must not be read whole.
const maxTokenBytes = 4096

// readTokenFile reads a token from a regular file of at most 4 KiB,
// trimmed of white space; an empty one is an error. The token is never
// part of an error.
func readTokenFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil {
		return "", err
	} else if !fi.Mode().IsRegular() {
		return "", fmt.Errorf("%s is not a regular file", path)
	}
	b, err := io.ReadAll(io.LimitReader(f, maxTokenBytes+1))
	if err != nil {
		return "", err
	}
	if len(b) > maxTokenBytes {
		return "", fmt.Errorf("%s is larger than %d bytes; a token is one line", path, maxTokenBytes)
	}
	tok := strings.TrimSpace(string(b))
	if tok == "" {
		return "", fmt.Errorf("%s is empty", path)
	}
	return tok, nil
}

// documentArg turns a --policy/--tables value into a JSON document: the
// contents of a file when the value names one, else a name as a JSON
// string.
func documentArg(v string) ([]byte, error) {
	if strings.HasSuffix(v, ".json") || strings.ContainsRune(v, os.PathSeparator) {
		b, err := os.ReadFile(v)
		if err != nil {
			return nil, err
		}
		if !json.Valid(b) {
			return nil, fmt.Errorf("%s is not valid JSON", v)
		}
		return b, nil
	}
	return json.Marshal(v)
}
