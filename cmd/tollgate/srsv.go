package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/tollgate/tollgate/core/srsv"
	"github.com/tollgate/tollgate/server/redisstore"
)

func init() {
	register(&command{
		name:        "srsv",
		summary:     "issue, list, revoke or redeem SRSV provisioning tokens (through the service or its Redis)",
		run:         runSRSV,
		subcommands: []string{"issue", "list", "revoke", "redeem"},
	})
}

const srsvUsage = `Usage:
  tollgate srsv issue BRANCH    (prints the branch's new provisioning token, once)
  tollgate srsv list            (pending cycles: branch, issued, expires; never a token)
  tollgate srsv revoke BRANCH   (the branch's token stops working)
  tollgate srsv redeem BRANCH   (token on stdin: what the branch does when provisioning ends)

Each runs against a service, --url http://HOST:8700 (issue, list and revoke
need the administrator token: --admin-token-file or $TOLLGATE_ADMIN_TOKEN;
redeem the service token, if it has one: --token-file or $TOLLGATE_TOKEN),
or straight against the service's store, --store redis://HOST:PORT/DB
(password: --store-password-file or $TOLLGATE_STORE_PASSWORD), which every
replica shares. Seed 000: a token is made for each provisioning cycle of a
branch, used once by the branch to say provisioning is complete, then
removed; only its SHA-256 is stored. A token is never an argument (ps shows
arguments): redeem reads it from stdin.

Exit status: 0 done; 1 refused (no pending cycle matches the token, the
token expired, no cycle to revoke, a cycle already pending); 2 a usage
error or a service or store that does not answer.
`

func runSRSV(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		io.WriteString(stderr, srsvUsage)
		return exitUsage
	}
	switch args[0] {
	case "issue", "list", "revoke", "redeem":
		return srsvCommand(args[0], args[1:], stdin, stdout, stderr)
	case "-h", "--help", "help":
		io.WriteString(stdout, srsvUsage)
		return exitOK
	}
	fmt.Fprintf(stderr, "tollgate srsv: unknown subcommand %q: want issue, list, revoke or redeem\n", args[0])
	return exitUsage
}

// srsvRefused is an answer that refuses (exit 1), not a failure.
type srsvRefused struct{ msg string }

func (e *srsvRefused) Error() string { return e.msg }

// srsvCycle is a cycle as the CLI prints it (the service's JSON).
type srsvCycle struct {
	Branch  string `json:"branch"`
	Token   string `json:"token,omitempty"`
	Issued  string `json:"issued"`
	Expires string `json:"expires"`
}

// srsvBackend is a service or a store.
type srsvBackend interface {
	issue(ctx context.Context, branch string) (srsvCycle, error)
	list(ctx context.Context) ([]srsvCycle, error)
	revoke(ctx context.Context, branch string) error
	redeem(ctx context.Context, branch, token string) error
}

func srsvCommand(sub string, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	name := "tollgate srsv " + sub
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	svc := fs.String("url", "", "the service's base URL (http://127.0.0.1:8700)")
	adminTokenFile := fs.String("admin-token-file", "", "file holding the administrator token (else $TOLLGATE_ADMIN_TOKEN); for issue, list and revoke through --url")
	tokenFile := fs.String("token-file", "", "file holding the service's bearer token (else $TOLLGATE_TOKEN); for redeem through --url")
	timeout := fs.Duration("timeout", 10*time.Second, "how long to wait for the service or the store")
	store := fs.String("store", "", "the service's Redis store, redis://[USER@]HOST:PORT/DB or rediss://... (instead of --url)")
	storePasswordFile := fs.String("store-password-file", "", "file holding the Redis password (else $TOLLGATE_STORE_PASSWORD)")
	storeCAFile := fs.String("store-ca-file", "", "PEM bundle a rediss:// server's certificate must chain to")
	storePrefix := fs.String("store-prefix", redisstore.DefaultPrefix, "the service's --store-prefix")
	ttl := fs.Duration("ttl", srsv.DefaultTTL, "how long an issued token stays usable (with --store; a service uses its own --srsv-ttl)")
	asJSON := fs.Bool("json", false, "print the service's JSON answer")
	pos, code, done := parseArgs(fs, args, srsvUsage, stdout, stderr)
	if done {
		return code
	}
	fail := func(format string, a ...any) int {
		fmt.Fprintf(stderr, name+": "+format+"\n", a...)
		return exitUsage
	}
	wantArgs := 1
	if sub == "list" {
		wantArgs = 0
	}
	if len(pos) != wantArgs {
		if wantArgs == 0 {
			return fail("takes no argument")
		}
		return fail("want one argument, the branch (the token of redeem comes on stdin)")
	}
	branch := ""
	if wantArgs == 1 {
		branch = pos[0]
		if srsv.CheckBranch(branch) != nil {
			return fail("the branch must be 1 to 256 bytes of UTF-8 text without control characters")
		}
	}
	if (*svc == "") == (*store == "") {
		return fail("give the service (--url) or its store (--store), one of them")
	}
	var token string
	if sub == "redeem" {
		t, err := readLine(stdin)
		if err != nil || t == "" {
			return fail("the token comes on stdin, one line")
		}
		token = t
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	var be srsvBackend
	if *svc != "" {
		u, err := url.Parse(*svc)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fail("--url %q: want http://HOST:PORT or https://...", *svc)
		}
		h := &srsvHTTP{base: strings.TrimRight(*svc, "/"), client: &http.Client{Timeout: *timeout}}
		secretFile, env, flagName := *tokenFile, "TOLLGATE_TOKEN", "--token-file"
		if sub != "redeem" {
			secretFile, env, flagName = *adminTokenFile, "TOLLGATE_ADMIN_TOKEN", "--admin-token-file"
		}
		if secretFile != "" {
			b, err := readDocument(flagName, secretFile, maxTokenFile, true)
			if err != nil {
				return fail("%v", err)
			}
			h.bearer = strings.TrimSpace(string(b))
		} else if v, ok := lookupEnv(env); ok {
			h.bearer = strings.TrimSpace(v)
		}
		be = h
	} else {
		st, err := openRedisStore(*store, *storePasswordFile, *storeCAFile, min(*timeout, 5*time.Second), *storePrefix)
		if err != nil {
			return fail("%v", err)
		}
		defer st.Close()
		be = &srsvStore{m: srsv.New(srsv.Options{Store: st.SRSV(), TTL: *ttl})}
	}

	var err error
	switch sub {
	case "issue":
		var c srsvCycle
		if c, err = be.issue(ctx, branch); err == nil {
			if *asJSON {
				b, _ := json.Marshal(c)
				fmt.Fprintf(stdout, "%s\n", b)
			} else {
				fmt.Fprintln(stdout, c.Token)
				fmt.Fprintf(stderr, "%s: the provisioning token of branch %q, usable once until %s; it is shown this once\n", name, c.Branch, c.Expires)
			}
		}
	case "list":
		var cs []srsvCycle
		if cs, err = be.list(ctx); err == nil {
			if *asJSON {
				b, _ := json.Marshal(struct {
					Pending []srsvCycle `json:"pending"`
				}{cs})
				fmt.Fprintf(stdout, "%s\n", b)
			} else {
				for _, c := range cs {
					fmt.Fprintf(stdout, "%s\t%s\t%s\n", c.Branch, c.Issued, c.Expires)
				}
			}
		}
	case "revoke":
		if err = be.revoke(ctx, branch); err == nil {
			fmt.Fprintf(stderr, "%s: branch %q: revoked\n", name, branch)
		}
	case "redeem":
		if err = be.redeem(ctx, branch, token); err == nil {
			fmt.Fprintf(stderr, "%s: branch %q: redeemed\n", name, branch)
		}
	}
	var refused *srsvRefused
	switch {
	case errors.As(err, &refused):
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		return exitRefused
	case err != nil:
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		return exitUsage
	}
	return exitOK
}

// readLine reads one line (at most a token's worth) from r.
func readLine(r io.Reader) (string, error) {
	if r == nil {
		return "", io.EOF
	}
	sc := bufio.NewScanner(io.LimitReader(r, 4096))
	if !sc.Scan() {
		return "", io.EOF
	}
	return strings.TrimSpace(sc.Text()), nil
}

// srsvHTTP is the service's /v1/srsv routes.
type srsvHTTP struct {
	base, bearer string
	client       *http.Client
}

func (h *srsvHTTP) do(ctx context.Context, method, path, body string, out any) error {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, h.base+path, rd)
	if err != nil {
		return err
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if h.bearer != "" {
		req.Header.Set("Authorization", "Bearer "+h.bearer)
	}
	resp, err := h.client.Do(req)
	if err != nil {
		return fmt.Errorf("the service did not answer: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if resp.StatusCode/100 == 2 {
		if out != nil {
			if err := json.Unmarshal(b, out); err != nil {
				return fmt.Errorf("the service's answer is not what %s expects (%d): %v", path, resp.StatusCode, err)
			}
		}
		return nil
	}
	var e struct {
		Error struct{ Code, Message string }
	}
	if json.Unmarshal(b, &e) != nil || e.Error.Code == "" {
		return fmt.Errorf("the service answered %s", resp.Status)
	}
	msg := e.Error.Code + ": " + e.Error.Message
	switch e.Error.Code {
	case "invalid_token", "token_expired", "no_cycle", "cycle_in_progress":
		return &srsvRefused{msg}
	}
	return fmt.Errorf("the service answered %d %s", resp.StatusCode, msg)
}

func (h *srsvHTTP) issue(ctx context.Context, branch string) (c srsvCycle, err error) {
	err = h.do(ctx, "POST", "/v1/srsv/"+url.PathEscape(branch), "{}", &c)
	return c, err
}

func (h *srsvHTTP) list(ctx context.Context) ([]srsvCycle, error) {
	var out struct{ Pending []srsvCycle }
	err := h.do(ctx, "GET", "/v1/srsv", "", &out)
	return out.Pending, err
}

func (h *srsvHTTP) revoke(ctx context.Context, branch string) error {
	return h.do(ctx, "DELETE", "/v1/srsv/"+url.PathEscape(branch), "", nil)
}

func (h *srsvHTTP) redeem(ctx context.Context, branch, token string) error {
	b, _ := json.Marshal(struct {
		Token string `json:"token"`
	}{token})
	return h.do(ctx, "POST", "/v1/srsv/"+url.PathEscape(branch)+"/redeem", string(b), nil)
}

// srsvStore is core/srsv over the service's Redis store.
type srsvStore struct{ m *srsv.Manager }

const srsvStamp = "2006-01-02T15:04:05.000Z"

func cycleText(p srsv.Pending) srsvCycle {
	return srsvCycle{Branch: p.Branch, Issued: p.Issued.UTC().Format(srsvStamp), Expires: p.Expires.UTC().Format(srsvStamp)}
}

func storeRefusal(err error) error {
	for _, r := range []error{srsv.ErrInvalidToken, srsv.ErrExpired, srsv.ErrNoCycle, srsv.ErrCycleInProgress} {
		if errors.Is(err, r) {
			return &srsvRefused{err.Error()}
		}
	}
	return err
}

func (s *srsvStore) issue(ctx context.Context, branch string) (srsvCycle, error) {
	tok, p, err := s.m.Issue(ctx, time.Now(), rand.Reader, branch)
	if err != nil {
		return srsvCycle{}, storeRefusal(err)
	}
	c := cycleText(p)
	c.Token = tok.Reveal()
	return c, nil
}

func (s *srsvStore) list(ctx context.Context) ([]srsvCycle, error) {
	ps, err := s.m.Pending(ctx, time.Now())
	out := make([]srsvCycle, len(ps))
	for i, p := range ps {
		out[i] = cycleText(p)
	}
	return out, err
}

func (s *srsvStore) revoke(ctx context.Context, branch string) error {
	return storeRefusal(s.m.Revoke(ctx, branch))
}

func (s *srsvStore) redeem(ctx context.Context, branch, token string) error {
	return storeRefusal(s.m.Redeem(ctx, time.Now(), branch, token))
}
