package main

import (
	"bytes"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tollgate/tollgate/api"
	"github.com/tollgate/tollgate/internal/redistest"
	"github.com/tollgate/tollgate/server"
	"github.com/tollgate/tollgate/server/redisstore"
)

func srsvRun(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var o, e bytes.Buffer
	code = run(append([]string{"srsv"}, args...), strings.NewReader(stdin), &o, &e)
	return code, o.String(), e.String()
}

// TestSRSVCommand: through the service and straight through its Redis,
// which the service shares: issue prints the token once, list shows no
// token, redeem (token on stdin) works once, revoke stops a token.
func TestSRSVCommand(t *testing.T) {
	rs := redistest.Start(t)
	st, err := redisstore.Open(redisstore.Options{URL: rs.URL(0)})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	srv, err := server.New(server.Config{Engine: api.NewSession(), Store: st, SRSV: st.SRSV(), AdminToken: "adm1n", Token: "t0ken"})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	dir := t.TempDir()
	adminFile, tokenFile := filepath.Join(dir, "admin"), filepath.Join(dir, "token")
	os.WriteFile(adminFile, []byte("adm1n\n"), 0o600)
	os.WriteFile(tokenFile, []byte("t0ken\n"), 0o600)
	svc := []string{"--url", ts.URL, "--admin-token-file", adminFile}
	store := []string{"--store", rs.URL(0)}

	// Issued through the service, seen and redeemed through the store.
	code, out, errOut := srsvRun(t, "", append([]string{"issue", "branch/1"}, svc...)...)
	tok := strings.TrimSpace(out)
	if code != 0 || len(tok) != 36 || !strings.Contains(errOut, "shown this once") {
		t.Fatalf("issue = %d %q %q", code, out, errOut)
	}
	if code, out, _ := srsvRun(t, "", append([]string{"issue", "branch/1"}, store...)...); code != 1 || out != "" {
		t.Errorf("a second issue = %d %q; want 1 (cycle in progress)", code, out)
	}
	for _, where := range [][]string{svc, store} {
		code, out, _ := srsvRun(t, "", append([]string{"list"}, where...)...)
		if code != 0 || !strings.HasPrefix(out, "branch/1\t") || strings.Count(out, "\n") != 1 || strings.Contains(out, tok) {
			t.Errorf("list %v = %d %q", where, code, out)
		}
	}
	if code, _, e := srsvRun(t, "00000000-0000-4000-8000-000000000000\n", append([]string{"redeem", "branch/1"}, store...)...); code != 1 || !strings.Contains(e, "no pending") {
		t.Errorf("redeem a wrong token = %d %q; want 1", code, e)
	}
	if code, _, e := srsvRun(t, tok+"\n", append([]string{"redeem", "branch/1"}, store...)...); code != 0 {
		t.Errorf("redeem = %d %q", code, e)
	}
	if code, _, _ := srsvRun(t, tok+"\n", "redeem", "branch/1", "--url", ts.URL, "--token-file", tokenFile); code != 1 {
		t.Errorf("redeem again through the service = %d; want 1", code)
	}

	// Issued through the store (--json), redeemed through the service,
	// revoked.
	code, out, _ = srsvRun(t, "", append([]string{"issue", "--json", "b2"}, store...)...)
	var c struct{ Branch, Token, Issued, Expires string }
	if json.Unmarshal([]byte(out), &c); code != 0 || c.Branch != "b2" || len(c.Token) != 36 || c.Expires <= c.Issued {
		t.Fatalf("issue --json = %d %q", code, out)
	}
	if code, _, e := srsvRun(t, c.Token, "redeem", "b2", "--url", ts.URL, "--token-file", tokenFile); code != 0 {
		t.Errorf("redeem through the service = %d %q", code, e)
	}
	srsvRun(t, "", append([]string{"issue", "b3"}, svc...)...)
	if code, _, _ := srsvRun(t, "", append([]string{"revoke", "b3"}, svc...)...); code != 0 {
		t.Errorf("revoke = %d", code)
	}
	if code, _, _ := srsvRun(t, "", append([]string{"revoke", "b3"}, store...)...); code != 1 {
		t.Errorf("revoke again = %d; want 1", code)
	}
	if code, out, _ := srsvRun(t, "", append([]string{"list", "--json"}, svc...)...); code != 0 || out != `{"pending":[]}`+"\n" {
		t.Errorf("list --json = %d %q", code, out)
	}
	// Without the administrator token the service refuses.
	if code, _, e := srsvRun(t, "", "issue", "b4", "--url", ts.URL, "--admin-token-file", tokenFile); code != 2 || !strings.Contains(e, "forbidden") {
		t.Errorf("issue with the verdict token = %d %q", code, e)
	}
}

func TestSRSVUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		say  string
	}{
		{[]string{"issue", "b"}, "one of them"},
		{[]string{"issue", "b", "--url", "http://x", "--store", "redis://x"}, "one of them"},
		{[]string{"issue", "--url", "http://x"}, "want one argument"},
		{[]string{"redeem", "b", "00000000-0000-4000-8000-000000000000", "--url", "http://x"}, "comes on stdin"},
		{[]string{"list", "b", "--url", "http://x"}, "takes no argument"},
		{[]string{"redeem", "b", "--url", "http://x"}, "the token comes on stdin"},
		{[]string{"issue", "b", "--url", "ftp://x"}, "want http://"},
		{[]string{"issue", "b", "--store", "redis://:pw@127.0.0.1:1/0"}, "holds a password"},
		{[]string{"issue", "a\x01b", "--url", "http://x"}, "control characters"},
		{[]string{"dance"}, "unknown subcommand"},
	} {
		code, _, e := srsvRun(t, "", tc.args...)
		if code != exitUsage || !strings.Contains(e, tc.say) || strings.Contains(e, ":pw@") {
			t.Errorf("srsv %q = %d %q; want 2 saying %q", tc.args, code, e, tc.say)
		}
	}
}

// TestServeStorePassword: serve's Redis password comes from
// --store-password-file, else $TOLLGATE_STORE_PASSWORD; a wrong one is
// refused at start, and no error shows a password.
func TestServeStorePassword(t *testing.T) {
	rs := redistest.New(t)
	rs.Password = "r3dis-Pa55"
	rs.Start()
	dir := t.TempDir()
	good, bad, empty := filepath.Join(dir, "good"), filepath.Join(dir, "bad"), filepath.Join(dir, "empty")
	os.WriteFile(good, []byte(rs.Password+"\n"), 0o600)
	os.WriteFile(bad, []byte("wr0ng-pa55\n"), 0o600)
	os.WriteFile(empty, []byte("\n"), 0o600)
	defer func(f func(string) (string, bool)) { lookupEnv = f }(lookupEnv)
	for _, tc := range []struct {
		file string
		env  map[string]string
		ok   bool
	}{
		{good, nil, true},
		{"", map[string]string{"TOLLGATE_STORE_PASSWORD": rs.Password}, true},
		{good, map[string]string{"TOLLGATE_STORE_PASSWORD": "wr0ng-pa55"}, true}, // the file wins
		{bad, nil, false},
		{empty, nil, false},
		{"", nil, false},
	} {
		lookupEnv = env(tc.env)
		st, err := openRedisStore(rs.URL(0), tc.file, "", redisstore.DefaultTimeout, redisstore.DefaultPrefix)
		if err == nil {
			err = st.Ping(t.Context())
			st.Close()
		}
		if (err == nil) != tc.ok {
			t.Errorf("file %q env %v: %v; want ok %v", tc.file, tc.env, err, tc.ok)
		}
		if err != nil && (strings.Contains(err.Error(), rs.Password) || strings.Contains(err.Error(), "wr0ng")) {
			t.Errorf("the error shows a password: %v", err)
		}
	}
}
