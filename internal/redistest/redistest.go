// Package redistest runs Debian's redis-server for tests: on a free
// loopback port, in a directory of the test's own, with persistence on
// (an append-only file), stopped when the test ends. A test can stop it,
// start it again on the same port and directory (what it wrote is read
// back), make it sleep, and dump what it holds.
//
// Without redis-server a test skips, and fails under make test
// (internal/testenv), which installs it first (make redis-deps).
package redistest

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tollgate/tollgate/internal/testenv"
)

// Server is one redis-server process and its directory.
type Server struct {
	t    testing.TB
	Dir  string // its working directory: the append-only file, the RDB file, the log
	Port int
	// Password, when set before Start, is required of clients
	// (requirepass).
	Password string
	// TLS, when set before Start, makes the server speak TLS only, with
	// these PEM files.
	TLS    *TLSFiles
	cmd    *exec.Cmd
	exited chan error
}

// TLSFiles are the PEM files of a TLS server.
type TLSFiles struct{ Cert, Key, CA string }

// Need skips or fails t when redis-server or redis-cli is missing.
func Need(t testing.TB) {
	t.Helper()
	_, e1 := exec.LookPath("redis-server")
	_, e2 := exec.LookPath("redis-cli")
	testenv.Need(t, "redis-server", e1 == nil && e2 == nil, "make redis-deps (apt-get install redis-server redis-tools)")
}

// New returns a Server that is not started yet: set Password or TLS, then
// Start. Most tests call Start directly.
func New(t testing.TB) *Server {
	t.Helper()
	Need(t)
	s := &Server{t: t, Dir: t.TempDir()}
	t.Cleanup(s.kill)
	return s
}

// Start runs a new redis-server and waits until it answers.
func Start(t testing.TB) *Server {
	t.Helper()
	s := New(t)
	s.Start()
	return s
}

// Addr is host:port.
func (s *Server) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.Port)) }

// URL is the store URL of database db: redis://127.0.0.1:PORT/DB (rediss
// with TLS).
func (s *Server) URL(db int) string {
	scheme := "redis"
	if s.TLS != nil {
		scheme = "rediss"
	}
	return scheme + "://" + s.Addr() + "/" + strconv.Itoa(db)
}

// Start runs redis-server (again: on the port and directory it had, so
// what it persisted is read back) and waits until it answers PING.
func (s *Server) Start() {
	s.t.Helper()
	if s.cmd != nil {
		s.t.Fatal("redistest: already running")
	}
	for attempt := 0; ; attempt++ {
		fresh := s.Port == 0
		if fresh {
			s.Port = freePort(s.t)
		}
		err := s.run()
		if err == nil {
			return
		}
		// Another process took the port between freePort and the bind.
		if fresh && attempt < 5 && strings.Contains(err.Error(), "Address already in use") {
			s.Port = 0
			continue
		}
		s.t.Fatalf("redistest: %v", err)
	}
}

func (s *Server) run() error {
	args := []string{
		"--bind", "127.0.0.1", "--protected-mode", "yes",
		"--dir", s.Dir, "--logfile", "redis.log", "--daemonize", "no",
		"--appendonly", "yes", "--appendfsync", "everysec", "--save", "",
		"--enable-debug-command", "local",
		"--databases", "16",
	}
	if s.TLS != nil {
		args = append(args, "--port", "0", "--tls-port", strconv.Itoa(s.Port),
			"--tls-cert-file", s.TLS.Cert, "--tls-key-file", s.TLS.Key, "--tls-ca-cert-file", s.TLS.CA,
			"--tls-auth-clients", "no")
	} else {
		args = append(args, "--port", strconv.Itoa(s.Port))
	}
	if s.Password != "" {
		args = append(args, "--requirepass", s.Password)
	}
	cmd := exec.Command("redis-server", args...)
	cmd.Dir = s.Dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} // never outlives a killed test binary
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		return err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			return fmt.Errorf("redis-server exited (%v): %s%s", err, out.String(), s.log())
		default:
		}
		if s.ping(time.Second) == nil {
			s.cmd = cmd
			s.exited = exited
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	cmd.Process.Kill()
	<-exited
	return errors.New("redis-server did not answer within 10s: " + s.log())
}

func (s *Server) log() string {
	b, _ := os.ReadFile(filepath.Join(s.Dir, "redis.log"))
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(b)
}

// ping sends PING on a new plain connection and waits up to d for PONG
// (a TLS server is asked through redis-cli, which speaks TLS).
func (s *Server) ping(d time.Duration) error {
	if s.TLS != nil {
		out, err := s.cli("PING")
		if err != nil || strings.TrimSpace(out) != "PONG" {
			return fmt.Errorf("ping: %v %s", err, out)
		}
		return nil
	}
	c, err := net.DialTimeout("tcp", s.Addr(), d)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(d))
	if s.Password != "" {
		fmt.Fprintf(c, "*2\r\n$4\r\nAUTH\r\n$%d\r\n%s\r\n", len(s.Password), s.Password)
	}
	c.Write([]byte("*1\r\n$4\r\nPING\r\n"))
	r := bufio.NewReader(c)
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return err
		}
		if strings.HasPrefix(line, "+PONG") {
			return nil
		}
		if strings.HasPrefix(line, "-LOADING") || strings.HasPrefix(line, "-") {
			return errors.New(strings.TrimSpace(line))
		}
	}
}

// Stop shuts the server down as an administrator would (SIGTERM: the
// append-only file is flushed), and waits for it to exit.
func (s *Server) Stop() {
	s.t.Helper()
	s.signal(syscall.SIGTERM)
}

// Kill stops the server with SIGKILL: nothing is flushed.
func (s *Server) Kill() {
	s.t.Helper()
	s.signal(syscall.SIGKILL)
}

func (s *Server) signal(sig syscall.Signal) {
	s.t.Helper()
	if s.cmd == nil {
		s.t.Fatal("redistest: not running")
	}
	s.cmd.Process.Signal(sig)
	select {
	case <-s.exited:
	case <-time.After(20 * time.Second):
		s.cmd.Process.Kill()
		<-s.exited
		s.t.Errorf("redistest: redis-server still running 20s after %v", sig)
	}
	s.cmd = nil
}

func (s *Server) kill() {
	if s.cmd != nil {
		s.cmd.Process.Kill()
		<-s.exited
		s.cmd = nil
	}
}

// Sleep makes the server stop answering for d (DEBUG SLEEP) and returns
// once it has: a PING on a new connection goes unanswered (ping). The
// channel is closed when the sleep ends. Waiting for the sleep, rather than for a
// fixed time after sending it, keeps a loaded machine from running a
// test's "while Redis sleeps" calls before Redis is asleep.
func (s *Server) Sleep(d time.Duration) <-chan struct{} {
	s.t.Helper()
	if s.TLS != nil {
		s.t.Fatal("redistest: Sleep needs a plain connection")
	}
	c, err := net.DialTimeout("tcp", s.Addr(), 5*time.Second)
	if err != nil {
		s.t.Fatalf("redistest: sleep: %v", err)
	}
	replies := 1
	if s.Password != "" {
		fmt.Fprintf(c, "*2\r\n$4\r\nAUTH\r\n$%d\r\n%s\r\n", len(s.Password), s.Password)
		replies++
	}
	secs := strconv.FormatFloat(d.Seconds(), 'f', -1, 64)
	fmt.Fprintf(c, "*3\r\n$5\r\nDEBUG\r\n$5\r\nSLEEP\r\n$%d\r\n%s\r\n", len(secs), secs)
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer c.Close()
		// DEBUG SLEEP answers when it ends (after AUTH's answer, if any):
		// both are one line.
		c.SetReadDeadline(time.Now().Add(d + 30*time.Second))
		r := bufio.NewReader(c)
		for range replies {
			if _, err := r.ReadString('\n'); err != nil {
				return
			}
		}
	}()
	for deadline := time.Now().Add(10 * time.Second); ; {
		if s.ping(200*time.Millisecond) != nil {
			return done
		}
		if time.Now().After(deadline) {
			s.t.Fatal("redistest: the server still answers 10s after DEBUG SLEEP")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// CLI runs redis-cli against the server with args and returns its output;
// a failure fails the test.
func (s *Server) CLI(args ...string) string {
	s.t.Helper()
	out, err := s.cli(args...)
	if err != nil {
		s.t.Fatalf("redis-cli %v: %v\n%s", args, err, out)
	}
	return out
}

func (s *Server) cli(args ...string) (string, error) {
	base := []string{"-h", "127.0.0.1", "-p", strconv.Itoa(s.Port)}
	if s.TLS != nil {
		base = append(base, "--tls", "--cacert", s.TLS.CA)
	}
	cmd := exec.Command("redis-cli", append(base, args...)...)
	if s.Password != "" {
		cmd.Env = append(os.Environ(), "REDISCLI_AUTH="+s.Password) // not on the command line
	}
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// Dump returns everything the server holds in databases 0 to 15, as an
// administrator would read it off the server: each key's name, its value
// as GET, HGETALL or the like prints it, and its DUMP serialization; then
// the files in its directory (the append-only file and any RDB file,
// after a SAVE). A test searches it for secrets.
func (s *Server) Dump() []byte {
	s.t.Helper()
	var b bytes.Buffer
	for db := 0; db < 16; db++ {
		n := strconv.Itoa(db)
		for _, key := range strings.Split(strings.TrimSpace(s.CLI("-n", n, "--scan")), "\n") {
			if key == "" {
				continue
			}
			b.WriteString(key + "\n")
			switch typ := strings.TrimSpace(s.CLI("-n", n, "TYPE", key)); typ {
			case "string":
				b.WriteString(s.CLI("-n", n, "GET", key))
			case "hash":
				b.WriteString(s.CLI("-n", n, "HGETALL", key))
			case "set":
				b.WriteString(s.CLI("-n", n, "SMEMBERS", key))
			case "zset":
				b.WriteString(s.CLI("-n", n, "ZRANGE", key, "0", "-1", "WITHSCORES"))
			case "list":
				b.WriteString(s.CLI("-n", n, "LRANGE", key, "0", "-1"))
			}
			b.WriteString(s.CLI("-n", n, "--no-raw", "DUMP", key))
		}
	}
	s.CLI("SAVE")
	filepath.Walk(s.Dir, func(p string, info os.FileInfo, err error) error {
		if err == nil && info.Mode().IsRegular() && !strings.HasSuffix(p, ".log") {
			if data, err := os.ReadFile(p); err == nil {
				b.WriteString("== " + p + "\n")
				b.Write(data)
			}
		}
		return nil
	})
	return b.Bytes()
}

// freePort asks the kernel for a free loopback port.
func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
