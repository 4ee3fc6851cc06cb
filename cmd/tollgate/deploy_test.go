package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestSystemdUnit holds deploy/tollgate.service to what the service
// needs and what an administrator expects of a hardened unit: the
// hardening directives, every TOLLGATE_* variable it sets is a flag of
// serve, no secret in it, and systemd-analyze verify passes (when the
// machine has systemd-analyze).
func TestSystemdUnit(t *testing.T) {
	b, err := os.ReadFile("../../deploy/tollgate.service")
	if err != nil {
		t.Fatal(err)
	}
	unit := string(b)
	for _, want := range []string{
		"DynamicUser=yes", "ProtectSystem=strict", "NoNewPrivileges=yes", "ProtectHome=yes", "PrivateTmp=yes",
		"PrivateDevices=yes", "CapabilityBoundingSet=\n", "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX",
		"SystemCallFilter=@system-service", "ProtectKernelTunables=yes", "RestrictNamespaces=yes", "LockPersonality=yes",
		"LoadCredential=", "ExecStart=/usr/local/bin/tollgate serve --config /etc/tollgate/tollgate.conf",
	} {
		if !strings.Contains(unit, want) {
			t.Errorf("deploy/tollgate.service lacks %q", want)
		}
	}
	// Every variable it sets names a flag of serve (else it would do
	// nothing, silently).
	var stdout, stderr bytes.Buffer
	run([]string{"serve", "--help"}, nil, &stdout, &stderr)
	for _, line := range strings.Split(unit, "\n") {
		v, ok := strings.CutPrefix(line, "Environment=TOLLGATE_")
		if !ok {
			continue
		}
		name, _, _ := strings.Cut(v, "=")
		flagName := strings.ToLower(strings.ReplaceAll(name, "_", "-"))
		if !strings.Contains(stdout.String(), "  -"+flagName+" ") && !strings.Contains(stdout.String(), "  -"+flagName+"\n") {
			t.Errorf("the unit sets TOLLGATE_%s, but serve has no --%s", name, flagName)
		}
	}
	if tool, err := exec.LookPath("systemd-analyze"); err == nil {
		// verify wants ExecStart's binary to exist: a stand-in.
		dir := t.TempDir()
		bin := filepath.Join(dir, "tollgate")
		os.WriteFile(bin, []byte("#!/bin/sh\n"), 0o755)
		copyUnit := filepath.Join(dir, "tollgate.service")
		os.WriteFile(copyUnit, []byte(strings.ReplaceAll(unit, "/usr/local/bin/tollgate", bin)), 0o644)
		out, err := exec.Command(tool, "verify", copyUnit).CombinedOutput()
		if err != nil || len(bytes.TrimSpace(out)) > 0 {
			t.Errorf("systemd-analyze verify: %v\n%s", err, out)
		}
	} else {
		t.Log("no systemd-analyze: the unit is not verified by systemd")
	}
}

// TestDeployConfig: deploy/tollgate.conf is a configuration serve reads
// (each line a setting it knows): with a --listen on the command line
// that serve refuses, serve gets past the file and stops at the flag.
func TestDeployConfig(t *testing.T) {
	defer func(f func(string) (string, bool)) { lookupEnv = f }(lookupEnv)
	lookupEnv = env(nil)
	var stdout, stderr bytes.Buffer
	code := run([]string{"serve", "--config", "../../deploy/tollgate.conf", "--allow-remote=false"}, nil, &stdout, &stderr)
	if code != exitUsage || !strings.Contains(stderr.String(), "--listen 10.0.0.11:8700 is not a loopback address") {
		t.Errorf("serve --config deploy/tollgate.conf = %d %q; want the file's listen refused by the command line's --allow-remote=false", code, stderr.String())
	}
}
