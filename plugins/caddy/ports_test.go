package tollgatecaddy

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddytest"
)

// The in-process Caddy's ports are chosen free at run time, and its
// autosaved config and storage live in a directory of this run, so two runs
// of these tests at once (two checkouts, two CI jobs on one host) never
// meet: with fixed ports the second run's harness found the first run's
// Caddy on the admin port and loaded its configs into it.
var (
	adminPort, httpPort, httpsPort, sparePort int
	site                                      string // http://localhost:<httpPort>
	runDir                                    string
)

// oldPorts are the ports these tests used to hard-code (and 2999 is the
// caddytest default). TestMain holds each one that is free while the tests
// run, answering 503, so that a fixed port creeping back into a config
// fails the tests instead of working until two runs meet.
var oldPorts = []int{2999, 18980, 18943, 18981}

func TestMain(m *testing.M) {
	squat := squatPorts(oldPorts) // first, so that none of them is chosen below
	ports, err := freePorts(4)
	if err != nil {
		fmt.Fprintln(os.Stderr, "no free loopback ports:", err)
		os.Exit(1)
	}
	adminPort, httpPort, httpsPort, sparePort = ports[0], ports[1], ports[2], ports[3]
	site = fmt.Sprintf("http://localhost:%d", httpPort)
	caddytest.Default.AdminPort = adminPort // NewTester copies Default

	runDir, err = os.MkdirTemp("", "tollgate-caddy-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	// Caddy computes the autosave path at init, and its instance id under
	// the data directory when it starts.
	caddy.ConfigAutosavePath = filepath.Join(runDir, "config", "autosave.json")
	os.Setenv("XDG_DATA_HOME", filepath.Join(runDir, "data"))
	os.Setenv("XDG_CONFIG_HOME", filepath.Join(runDir, "config"))

	code := m.Run()
	for _, s := range squat {
		s.Close()
	}
	os.RemoveAll(runDir)
	os.Exit(code)
}

// freePorts asks the kernel for n distinct free loopback ports. The
// listeners stay open until all n are chosen, so no port is handed out
// twice; between their closing and Caddy's binding another process could
// take one, which is the usual, small, risk of this technique.
func freePorts(n int) ([]int, error) {
	var ports []int
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		defer ln.Close()
		ports = append(ports, ln.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// squatPorts serves 503 on each of ports that is free, on IPv4 and IPv6
// loopback (a client of localhost tries both). A port already taken by
// someone else is left alone: it is just as unavailable.
func squatPorts(ports []int) []*http.Server {
	var out []*http.Server
	for _, p := range ports {
		for _, addr := range []string{fmt.Sprintf("127.0.0.1:%d", p), fmt.Sprintf("[::1]:%d", p)} {
			ln, err := net.Listen("tcp", addr)
			if err != nil {
				continue
			}
			s := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(http.StatusServiceUnavailable)
				io.WriteString(w, "a tollgate Caddy test used a fixed port; use the ports chosen in TestMain\n")
			})}
			go s.Serve(ln)
			out = append(out, s)
		}
	}
	return out
}

// globalOptions is the Caddyfile global block of every test config, with
// this run's ports and storage; extra goes first (a log block, say).
func globalOptions(extra string) string {
	return fmt.Sprintf(`{
%s	admin localhost:%d
	http_port %d
	https_port %d
	storage file_system %s
	grace_period 1ns
	auto_https off
	skip_install_trust
}
`, extra, adminPort, httpPort, httpsPort, filepath.Join(runDir, "storage"))
}
