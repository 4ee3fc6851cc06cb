package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestServeUsageErrors(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty-token")
	os.WriteFile(empty, []byte("\n"), 0o600)
	tok := filepath.Join(dir, "token")
	os.WriteFile(tok, []byte("t0ken\n"), 0o600)
	big := filepath.Join(dir, "big-token")
	os.WriteFile(big, bytes.Repeat([]byte("x"), 5000), 0o600)
	notJSON := filepath.Join(dir, "policy.json")
	os.WriteFile(notJSON, []byte("{nope"), 0o600)
	badPolicy := filepath.Join(dir, "bad-policy.json")
	os.WriteFile(badPolicy, []byte(`{"pin":{"min_length":-1}}`), 0o600)
	badTables := filepath.Join(dir, "tables.json")
	os.WriteFile(badTables, []byte(`{"tables":[{"name":"x","rows":[{"pattern":"9*","blocked":"yes"}]}]}`), 0o600)
	badVelocity := filepath.Join(dir, "velocity.json")
	os.WriteFile(badVelocity, []byte("{\"limits\": [\n  {\"tier\": \"high\", \"per\": \"caller\", \"calls\": 3, \"window\": \"10 minutes\"}]}"), 0o600)
	for _, tc := range []struct {
		args []string
		say  string
	}{
		{[]string{"--velocity", badVelocity, "--engine", "native"}, "--velocity " + badVelocity + ": velocity: line 2, column 59: limits[0].window: not a duration"},
		{[]string{"--velocity", filepath.Join(dir, "missing.json"), "--engine", "native"}, "no such file"},
		{[]string{"--listen", "0.0.0.0:0"}, "not a loopback address"},
		{[]string{"--listen", ":8700"}, "not a loopback address"},
		{[]string{"--log", "xml"}, "want text or json"},
		{[]string{"--token-file", empty}, "is empty"},
		{[]string{"--token-file", filepath.Join(dir, "missing")}, "no such file"},
		{[]string{"--admin-token-file", empty}, "is empty"},
		{[]string{"--admin-token-file", dir}, "not a regular file"},
		{[]string{"--admin-token-file", big}, "more than the 4096 bytes"},
		{[]string{"--token-file", tok, "--admin-token-file", tok}, "the administrator's must be its own"},
		{[]string{"--policy", notJSON}, "not valid JSON"},
		{[]string{"--policy", "no-such-profile"}, "--policy no-such-profile"},
		{[]string{"--policy", badPolicy, "--engine", "native"}, "--policy " + badPolicy + ": line 1, column 22: policy: pin.min_length: -1 is out of range"},
		{[]string{"--tables", "no-such-set", "--engine", "native"}, "--tables no-such-set: "},
		{[]string{"--tables", badTables, "--engine", "native"}, "--tables " + badTables + ": line 1, column 58: dialplan: tables[0].rows[0].blocked: malformed document"},
		{[]string{"--tables", badTables, "--users", filepath.Join(dir, "missing.csv"), "--engine", "native"}, "--tables " + badTables + ": "},
		{[]string{"--engine", "quantum"}, "unknown engine"},
		{[]string{"extra"}, "unexpected argument"},
		{[]string{"--listen", "127.0.0.1:notaport"}, "serve:"},
	} {
		var stdout, stderr bytes.Buffer
		code := run(append([]string{"serve"}, tc.args...), nil, &stdout, &stderr)
		if code != exitUsage || !strings.Contains(stderr.String(), tc.say) {
			t.Errorf("serve %v = %d, stderr %q; want %d saying %q", tc.args, code, stderr.String(), exitUsage, tc.say)
		}
	}
}

func TestServeHelp(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run([]string{"serve", "--help"}, nil, &stdout, &stderr); code != exitOK {
		t.Fatalf("serve --help = %d", code)
	}
	for _, want := range []string{"-listen", "-policy", "-tables", "-engine", "-token-file", "-admin-token-file", "SIGTERM"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("help on stdout lacks %s", want)
		}
	}
}

// TestServeStopsOnSIGTERM runs the real binary, asks it a question, sends
// SIGTERM and expects a clean exit.
func TestServeStopsOnSIGTERM(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "tollgate")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	tokenFile := filepath.Join(t.TempDir(), "token")
	os.WriteFile(tokenFile, []byte("t0ken\n"), 0o600)
	adminFile := filepath.Join(t.TempDir(), "admin-token")
	os.WriteFile(adminFile, []byte("adm1n-s3cret\n"), 0o600)
	cmd := exec.Command(bin, "serve", "--listen", "127.0.0.1:0", "--log", "json", "--policy", "cuc", "--token-file", tokenFile,
		"--admin-token-file", adminFile, "--engine", "native")
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()

	lines := bufio.NewScanner(stderr)
	var addr string
	for addr == "" && lines.Scan() {
		var rec struct{ Msg, Addr string }
		if json.Unmarshal(lines.Bytes(), &rec) == nil && rec.Msg == "listening" {
			addr = rec.Addr
		}
	}
	if addr == "" {
		t.Fatal("no listening record on stderr")
	}
	req, _ := http.NewRequest("POST", "http://"+addr+"/v1/pin", strings.NewReader(`{"pin":"135790"}`))
	req.Header.Set("Authorization", "Bearer t0ken")
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !bytes.Contains(body, []byte(`"accepted"`)) {
		t.Errorf("POST /v1/pin = %d %s", resp.StatusCode, body)
	}

	// unlock is the administrator's: the verdict token gets 403, the
	// administrator's token 200.
	for _, tc := range []struct {
		token string
		want  int
	}{{"t0ken", 403}, {"adm1n-s3cret", 200}} {
		req, _ := http.NewRequest("POST", "http://"+addr+"/v1/signin/alice", strings.NewReader(`{"event":"unlock"}`))
		req.Header.Set("Authorization", "Bearer "+tc.token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("unlock with %s = %d, want %d", tc.token, resp.StatusCode, tc.want)
		}
	}

	cmd.Process.Signal(syscall.SIGTERM)
	// One reader drains the rest of stderr (it ends when the process
	// exits); the buffer is read only after that reader is done.
	var rest bytes.Buffer
	drained := make(chan struct{})
	go func() {
		defer close(drained)
		for lines.Scan() {
			rest.Write(lines.Bytes())
			rest.WriteByte('\n')
		}
	}()
	select {
	case <-drained:
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		t.Fatal("still running 10s after SIGTERM")
	}
	if err := cmd.Wait(); err != nil {
		t.Errorf("exit after SIGTERM: %v\n%s", err, rest.String())
	}
	if !strings.Contains(rest.String(), `"msg":"stopped"`) {
		t.Errorf("no stopped record after SIGTERM:\n%s", rest.String())
	}
	if strings.Contains(rest.String(), "135790") || strings.Contains(rest.String(), "adm1n-s3cret") {
		t.Error("the log holds the PIN or the administrator token")
	}
}
