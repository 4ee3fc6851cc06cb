package main

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

// TestConfigPrecedence: flag > $TOLLGATE_NAME > config file > default,
// for each flag on its own.
func TestConfigPrecedence(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "tollgate.conf")
	os.WriteFile(file, []byte(`# every setting in the file
listen = 127.0.0.1:1
store-timeout = 3s
policy = "cucm"
--log = json
allow-remote = true
`), 0o600)
	for _, viaEnv := range []bool{false, true} {
		fs := flag.NewFlagSet("tollgate serve", flag.ContinueOnError)
		listen := fs.String("listen", "default", "")
		timeout := fs.Duration("store-timeout", time.Second, "")
		policy := fs.String("policy", "", "")
		log := fs.String("log", "text", "")
		remote := fs.Bool("allow-remote", false, "")
		tables := fs.String("tables", "builtin", "")
		fs.String("config", "", "")
		args := []string{"--listen", "127.0.0.1:3"}
		vars := map[string]string{"TOLLGATE_LISTEN": "127.0.0.1:2", "TOLLGATE_STORE_TIMEOUT": "2s"}
		if viaEnv {
			vars["TOLLGATE_CONFIG"] = file
		} else {
			args = append(args, "--config", file)
		}
		if err := fs.Parse(args); err != nil {
			t.Fatal(err)
		}
		if err := layerConfig(fs, env(vars)); err != nil {
			t.Fatal(err)
		}
		if *listen != "127.0.0.1:3" || *timeout != 2*time.Second || *policy != "cucm" || *log != "json" || !*remote || *tables != "builtin" {
			t.Errorf("config via env %v: listen %s (flag), timeout %v (env), policy %s, log %s, allow-remote %v (file), tables %s (default)",
				viaEnv, *listen, *timeout, *policy, *log, *remote, *tables)
		}
	}
}

func TestConfigErrors(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct{ file, say string }{
		{"listen 127.0.0.1:1\n", ":1: want NAME = VALUE"},
		{"\n\nlsiten = x\n", `:3: unknown setting "lsiten"`},
		{"config = other.conf\n", `:1: unknown setting "config"`},
		{"listen = a\nlisten = b\n", ":2: listen is already set on line 1"},
		{"store-timeout = s3cret\n", ":1: store-timeout: not a valid value"},
		{"listen = \"a\n", ""}, // not quoted at both ends: the value as it is
	} {
		file := filepath.Join(dir, "c.conf")
		os.WriteFile(file, []byte(tc.file), 0o600)
		fs := flag.NewFlagSet("tollgate serve", flag.ContinueOnError)
		fs.String("listen", "", "")
		fs.Duration("store-timeout", 0, "")
		fs.String("config", file, "")
		err := layerConfig(fs, env(nil))
		switch {
		case tc.say == "" && err != nil:
			t.Errorf("%q: %v", tc.file, err)
		case tc.say != "" && (err == nil || !strings.Contains(err.Error(), file+tc.say)):
			t.Errorf("%q: %v; want %s%s", tc.file, err, file, tc.say)
		case err != nil && strings.Contains(err.Error(), "s3cret"):
			t.Errorf("%q: the error repeats the value: %v", tc.file, err)
		}
	}
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	fs.Duration("store-timeout", 0, "")
	if err := layerConfig(fs, env(map[string]string{"TOLLGATE_STORE_TIMEOUT": "soon"})); err == nil || !strings.Contains(err.Error(), "$TOLLGATE_STORE_TIMEOUT") {
		t.Errorf("a bad variable: %v; want an error naming it", err)
	}
}

// TestServeReadsConfig: serve takes its settings through layerConfig (a
// non-loopback --listen from each source is refused, and a loopback one
// from a stronger source wins).
func TestServeReadsConfig(t *testing.T) {
	file := filepath.Join(t.TempDir(), "serve.conf")
	os.WriteFile(file, []byte("listen = 0.0.0.0:1\n"), 0o600)
	defer func(f func(string) (string, bool)) { lookupEnv = f }(lookupEnv)
	for _, tc := range []struct {
		args []string
		vars map[string]string
		say  string
	}{
		{[]string{"--config", file}, nil, "--listen 0.0.0.0:1 is not a loopback"},
		{nil, map[string]string{"TOLLGATE_CONFIG": file}, "--listen 0.0.0.0:1 is not a loopback"},
		{[]string{"--config", file}, map[string]string{"TOLLGATE_LISTEN": "0.0.0.0:2"}, "--listen 0.0.0.0:2 is not a loopback"},
		{[]string{"--config", file, "--listen", "0.0.0.0:3"}, map[string]string{"TOLLGATE_LISTEN": "0.0.0.0:2"}, "--listen 0.0.0.0:3 is not a loopback"},
		{[]string{"--engine", "native"}, map[string]string{"TOLLGATE_STORE": "redis://:pw@127.0.0.1:1/0"}, "holds a password"},
		{[]string{"--engine", "native", "--store-password-file", file}, nil, "are for a --store redis://"},
	} {
		lookupEnv = env(tc.vars)
		var stdout, stderr bytes.Buffer
		code := run(append([]string{"serve"}, tc.args...), nil, &stdout, &stderr)
		if code != exitUsage || !strings.Contains(stderr.String(), tc.say) {
			t.Errorf("serve %v with %v = %d, %q; want %q", tc.args, tc.vars, code, stderr.String(), tc.say)
		}
		if strings.Contains(stderr.String(), ":pw@") {
			t.Errorf("the error shows the password: %s", stderr.String())
		}
	}
}
