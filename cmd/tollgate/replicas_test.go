package main

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tollgate/tollgate/internal/redistest"
)

// serveProcess is a real `tollgate serve` process.
type serveProcess struct {
	cmd  *exec.Cmd
	addr string
	mu   sync.Mutex
	log  strings.Builder
	done chan struct{}
}

func startServeProcess(t *testing.T, bin string, env []string, args ...string) *serveProcess {
	t.Helper()
	p := &serveProcess{cmd: exec.Command(bin, append([]string{"serve", "--listen", "127.0.0.1:0", "--log", "json"}, args...)...), done: make(chan struct{})}
	p.cmd.Env = append(os.Environ(), env...)
	stderr, _ := p.cmd.StderrPipe()
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.cmd.Process.Kill(); <-p.done })
	addr := make(chan string, 1)
	go func() {
		defer close(p.done)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			p.mu.Lock()
			p.log.WriteString(sc.Text() + "\n")
			p.mu.Unlock()
			var rec struct{ Msg, Addr string }
			if json.Unmarshal(sc.Bytes(), &rec) == nil && rec.Msg == "listening" {
				addr <- rec.Addr
			}
		}
		p.cmd.Wait()
	}()
	select {
	case p.addr = <-addr:
	case <-p.done:
		t.Fatalf("serve %v exited: %s", args, p.logs())
	case <-time.After(30 * time.Second):
		t.Fatalf("serve %v: no listening record: %s", args, p.logs())
	}
	return p
}

func (p *serveProcess) logs() string { p.mu.Lock(); defer p.mu.Unlock(); return p.log.String() }

func (p *serveProcess) post(t *testing.T, path, body, token string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", "http://"+p.addr+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Error(err)
		return 0, ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestServeReplicasOnRedis runs two real serve processes on one Redis
// with a password, configured the three ways (a config file, a variable,
// a flag): concurrent failures over both lock after exactly cuc's limit,
// a replica killed (SIGKILL) and started again keeps the lock, an unlock
// on one is seen by the other, and neither logs the Redis password.
func TestServeReplicasOnRedis(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	rs := redistest.New(t)
	rs.Password = "r3dis-Pa55-w0rd"
	rs.Start()
	dir := t.TempDir()
	bin := filepath.Join(dir, "tollgate")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	conf, pwFile, adminFile := filepath.Join(dir, "tollgate.conf"), filepath.Join(dir, "redis-password"), filepath.Join(dir, "admin")
	os.WriteFile(conf, []byte("store = "+rs.URL(0)+"\nengine = native\npolicy = cuc\nadmin-token-file = "+adminFile+"\n"), 0o600)
	os.WriteFile(pwFile, []byte(rs.Password+"\n"), 0o600)
	os.WriteFile(adminFile, []byte("adm1n\n"), 0o600)
	a := func() *serveProcess {
		return startServeProcess(t, bin, []string{"TOLLGATE_STORE_PASSWORD=" + rs.Password}, "--config", conf)
	}
	b := startServeProcess(t, bin, []string{"TOLLGATE_CONFIG=" + conf}, "--store-password-file", pwFile)
	ra := a()

	var mu sync.Mutex
	codes := map[string]int{}
	var wg sync.WaitGroup
	for i := range 10 {
		wg.Go(func() {
			p := []*serveProcess{ra, b}[i%2]
			status, body := p.post(t, "/v1/signin/alice", `{"event":"failure"}`, "")
			var ans struct{ Decision struct{ Code string } }
			json.Unmarshal([]byte(body), &ans)
			mu.Lock()
			codes[strconv.Itoa(status)+" "+ans.Decision.Code]++
			mu.Unlock()
		})
	}
	wg.Wait()
	if codes["200 failed"] != 3 || codes["200 locked"] != 7 {
		t.Errorf("answers %v; want 3 failed and 7 locked (cuc locks after 3)", codes)
	}
	ra.cmd.Process.Signal(syscall.SIGKILL)
	<-ra.done
	ra = a()
	if _, body := ra.post(t, "/v1/signin/alice", `{"event":"success"}`, ""); !strings.Contains(body, `"code":"locked"`) {
		t.Errorf("the restarted replica: %s; want locked", body)
	}
	if status, body := b.post(t, "/v1/signin/alice", `{"event":"unlock"}`, "adm1n"); status != 200 {
		t.Errorf("unlock on the other: %d %s", status, body)
	}
	if _, body := ra.post(t, "/v1/signin/alice", `{"event":"success"}`, ""); !strings.Contains(body, `"allowed":true`) {
		t.Errorf("after the unlock on the other replica: %s; want allowed", body)
	}
	for _, p := range []*serveProcess{ra, b} {
		resp, err := http.Get("http://" + p.addr + "/readyz")
		if err != nil || resp.StatusCode != 200 {
			t.Errorf("/readyz: %v %v", resp, err)
		}
		if resp != nil {
			resp.Body.Close()
		}
		p.cmd.Process.Signal(syscall.SIGTERM)
		<-p.done
		if l := p.logs(); strings.Contains(l, rs.Password) || !strings.Contains(l, `"store":"redis 127.0.0.1:`) {
			t.Errorf("the log shows the password, or not the store:\n%s", l)
		}
	}
}
