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
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/tollgate/tollgate/api"
	"github.com/tollgate/tollgate/core/srsv"
	"github.com/tollgate/tollgate/export"
	"github.com/tollgate/tollgate/server"
	"github.com/tollgate/tollgate/server/redisstore"
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
/v1/hash/verify, /v1/lint, /v1/signin/{user}; the SRSV provisioning
tokens under /v1/srsv; GET /healthz, /readyz (the store answers),
/metrics. See docs/api.md. Stops gracefully on SIGTERM or SIGINT.

Every flag may also come from $TOLLGATE_NAME (--store-timeout:
$TOLLGATE_STORE_TIMEOUT) or a NAME = VALUE line of the --config file; a
flag wins over the variable, the variable over the file. Replicas share
sign-in state and SRSV cycles through --store redis://HOST:PORT/DB
(docs/deploy.md).
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
	opTimeout := fs.Duration("op-timeout", server.DefaultOpTimeout, "deadline of each operation once its body is read; the work is stopped there (503 deadline_exceeded)")
	logFormat := fs.String("log", "text", "log format on stderr: text or json")
	users := fs.String("users", "", "users file (CSV in the audit's format: extension, alternate extensions, class of service) turning a dial request's \"caller\" into its class of service")
	defaultCOS := fs.String("default-cos", "", "class of service of a caller --users does not list (empty: refused with unknown_caller)")
	velocity := fs.String("velocity", "", "velocity limits file (JSON, docs/tables.md \"Velocity\"): calls the tables allow, counted per caller and per site and tier in sliding windows; a call over a limit is refused with reason velocity")
	usersEncoding := fs.String("encoding", string(export.Auto), "encoding of the --users file: "+export.EncodingNames+"; auto reads a byte-order mark, else UTF-8 or Windows-1252 from the text")
	engine := engineFlag(fs)
	store := fs.String("store", "memory", "where sign-in state and SRSV provisioning cycles live: memory (this process only) or redis://[USER@]HOST:PORT/DB, rediss://... (TLS), shared by every replica; the password comes from --store-password-file or $TOLLGATE_STORE_PASSWORD, never the URL")
	storePasswordFile := fs.String("store-password-file", "", "file holding the Redis password (AUTH; with the URL's user for an ACL user); else $TOLLGATE_STORE_PASSWORD")
	storeCAFile := fs.String("store-ca-file", "", "PEM bundle a rediss:// server's certificate must chain to (default: the system's roots)")
	storeTimeout := fs.Duration("store-timeout", redisstore.DefaultTimeout, "deadline of each Redis command; a sign-in waits no longer for a slow Redis (503 store_unavailable)")
	storePrefix := fs.String("store-prefix", redisstore.DefaultPrefix, "prefix of every Redis key, so that several services can share a database")
	srsvTTL := fs.Duration("srsv-ttl", srsv.DefaultTTL, "how long an SRSV provisioning token stays usable")
	fs.String("config", "", "configuration file of NAME = VALUE lines, NAME a flag without -- (also $TOLLGATE_CONFIG); a flag wins over its $TOLLGATE_NAME variable, which wins over the file")
	if code, done := parseFlags(fs, args, serveUsage, stdout, stderr); done {
		return code
	}
	if err := layerConfig(fs, lookupEnv); err != nil {
		fmt.Fprintf(stderr, "tollgate serve: %v\n", err)
		return exitUsage
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
		// A pipe is fine (--token-file <(pass show tollgate)), bounded.
		b, err := readDocument("--token-file", *tokenFile, maxTokenFile, true)
		if err != nil {
			return fail("%v", err)
		}
		token = strings.TrimSpace(string(b))
		if token == "" {
			return fail("--token-file %s is empty", *tokenFile)
		}
	}

	var adminToken string
	if *adminTokenFile != "" {
		b, err := readDocument("--admin-token-file", *adminTokenFile, maxTokenFile, true)
		if err != nil {
			return fail("%v", err)
		}
		if adminToken = strings.TrimSpace(string(b)); adminToken == "" {
			return fail("--admin-token-file %s is empty", *adminTokenFile)
		}
		if adminToken == token && token != "" {
			return fail("--admin-token-file holds the same token as --token-file; the administrator's must be its own")
		}
	}

	chk, err := openChecker(*engine)
	if err != nil {
		return fail("--engine %s: %v", *engine, err)
	}
	defer chk.Close()

	cfg := server.Config{
		Engine: chk, Token: token, AdminToken: adminToken, Logger: logger,
		MaxBodyBytes: *maxBody, BodyTimeout: *bodyTimeout, OpTimeout: *opTimeout, SRSVTTL: *srsvTTL,
	}
	storeKind := "memory"
	if *store != "memory" {
		st, err := openRedisStore(*store, *storePasswordFile, *storeCAFile, *storeTimeout, *storePrefix)
		if err != nil {
			return fail("%v", err)
		}
		defer st.Close()
		cfg.Store, cfg.SRSV = st, st.SRSV()
		t, _ := redisstore.ParseURL(*store)
		storeKind = "redis " + t.Addr + " db " + strconv.Itoa(t.DB)
		if t.TLS {
			storeKind = "rediss " + t.Addr + " db " + strconv.Itoa(t.DB)
		}
		if err := st.Ping(context.Background()); err != nil {
			// Not fatal: the client reconnects by itself, /readyz says
			// 503 and sign-ins fail closed until Redis answers.
			logger.Warn("store does not answer yet; sign-ins are refused until it does", "store", storeKind, "error", err.Error())
		}
	} else if *storePasswordFile != "" || *storeCAFile != "" {
		return fail("--store-password-file and --store-ca-file are for a --store redis:// or rediss:// URL")
	}
	// server.New loads these once through the engine (a bad one is a
	// usage error, not a 400 on every request) and requests carry the
	// handles.
	var policyFile, tablesFile *docFile // for where an error is in them
	if *policy != "" {
		cfg.Policy = api.Profile(*policy)
		if isFileArg(*policy) {
			doc, err := documentArg("--policy", *policy, maxPolicyFile)
			if err != nil {
				return fail("%v", err)
			}
			cfg.Policy = api.PolicyJSON(doc)
			policyFile = &docFile{"--policy", *policy, doc}
		}
	}
	var tablesDoc []byte // for usersDirectory: the document, or the name as a JSON string
	if *tables != "" {
		if tablesDoc, err = documentArg("--tables", *tables, maxTablesFile); err != nil {
			return fail("%v", err)
		}
		cfg.Tables = api.BuiltinTables(*tables)
		if isFileArg(*tables) {
			cfg.Tables = api.TablesJSON(tablesDoc)
			tablesFile = &docFile{"--tables", *tables, tablesDoc}
		}
	}
	usersEnc, err := export.ParseEncoding(*usersEncoding)
	if err != nil {
		return fail("--encoding: %v", err)
	}
	if *users != "" {
		dir, err := usersDirectory(*users, *defaultCOS, string(usersEnc), tablesDoc)
		var bt *badTablesError
		if errors.As(err, &bt) {
			if tablesFile != nil {
				return fail("%s", tablesFile.tablesError(bt.err))
			}
			return fail("--tables %s: %v", *tables, err)
		}
		if err != nil {
			return fail("--users: %v", err)
		}
		cfg.Directory = dir
		logger.Info("users", "file", *users, "encoding", dir.Encoding(), "extensions", dir.Extensions(), "default_cos", dir.Default())
	} else if *defaultCOS != "" {
		return fail("--default-cos needs --users")
	} else if usersEnc != export.Auto {
		return fail("--encoding needs --users")
	}
	if *velocity != "" {
		doc, err := readDocument("--velocity", *velocity, maxVelocityFile, true)
		if err != nil {
			return fail("%v", err)
		}
		if cfg.Velocity, err = server.ParseVelocity(doc); err != nil {
			return fail("--velocity %s: %v", *velocity, err)
		}
		logger.Info("velocity", "file", *velocity, "limits", len(cfg.Velocity.Limits), "after_hours", cfg.Velocity.AfterHours != nil)
	}
	srv, err := server.New(cfg)
	if err != nil {
		var de *server.DefaultError
		switch {
		case errors.As(err, &de) && de.Key == "policy" && policyFile != nil:
			return fail("%s", policyFile.policyError(de.Err))
		case errors.As(err, &de) && de.Key == "tables" && tablesFile != nil:
			return fail("%s", tablesFile.tablesError(de.Err))
		case errors.As(err, &de):
			arg := map[string]string{"policy": *policy, "tables": *tables}[de.Key]
			return fail("--%s %s: %s", de.Key, arg, errorMessage(de.Err))
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
		"policy", *policy, "tables", *tables, "store", storeKind, "token", token != "", "admin_token", adminToken != "")
	err = srv.Serve(ctx, ln)
	// The engine's pools, for the operator: instances replaced after a
	// trap or a deadline, calls stopped by their deadline.
	for _, ps := range chk.Pools() {
		logger.Info("engine pool", "pool", ps.Pool, "size", ps.Size, "created", ps.Created,
			"discarded", ps.Discarded, "deadlines", ps.Deadlines)
	}
	if err != nil {
		logger.Error("serve", "error", err.Error())
		return exitRefused
	}
	return exitOK
}

// documentArg turns a --policy/--tables value into a JSON document: the
// contents of a file (at most limit bytes) when the value names one, else
// a name as a JSON string.
func documentArg(flag, v string, limit int64) ([]byte, error) {
	if isFileArg(v) {
		b, err := readDocument(flag, v, limit, false)
		if err != nil {
			return nil, err
		}
		if !json.Valid(b) {
			return nil, fmt.Errorf("%s %s is not valid JSON", flag, v)
		}
		return b, nil
	}
	return json.Marshal(v)
}

// isFileArg reports whether a --policy/--tables value names a file rather
// than a built-in profile or set.
func isFileArg(v string) bool {
	return strings.HasSuffix(v, ".json") || strings.ContainsRune(v, os.PathSeparator)
}

// maxPasswordFile bounds a --store-password-file.
const maxPasswordFile = 4 << 10

// openRedisStore opens the Redis store of --store. The password is read
// from its file, else $TOLLGATE_STORE_PASSWORD; it is never in an error.
func openRedisStore(url, passwordFile, caFile string, timeout time.Duration, prefix string) (*redisstore.Store, error) {
	o := redisstore.Options{URL: url, Timeout: timeout, Prefix: prefix}
	if passwordFile != "" {
		b, err := readDocument("--store-password-file", passwordFile, maxPasswordFile, true)
		if err != nil {
			return nil, err
		}
		if o.Password = strings.TrimRight(string(b), "\r\n"); o.Password == "" {
			return nil, fmt.Errorf("--store-password-file %s is empty", passwordFile)
		}
	} else if pw, ok := lookupEnv("TOLLGATE_STORE_PASSWORD"); ok {
		o.Password = pw
	}
	if caFile != "" {
		b, err := readDocument("--store-ca-file", caFile, maxPolicyFile, false)
		if err != nil {
			return nil, err
		}
		o.CA = b
	}
	if timeout <= 0 {
		return nil, fmt.Errorf("--store-timeout %v: want a positive duration", timeout)
	}
	st, err := redisstore.Open(o)
	if err != nil {
		return nil, fmt.Errorf("--store: %v", err)
	}
	return st, nil
}
