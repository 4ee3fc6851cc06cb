package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tollgate/tollgate/api"
	"github.com/tollgate/tollgate/server"
)

const (
	kamailioTables = "../../testdata/kamailio/tables.json"
	kamailioUsers  = "../../testdata/kamailio/users.csv"
)

func TestServeUsersUsageErrors(t *testing.T) {
	dir := t.TempDir()
	typo := filepath.Join(dir, "typo.csv")
	os.WriteFile(typo, []byte("Extension,COS\n2001,Staff\n2002,Stafff\n"), 0o600)
	noCOS := filepath.Join(dir, "nocos.csv")
	os.WriteFile(noCOS, []byte("Extension,PIN\n2001,135790\n"), 0o600)
	for _, tc := range []struct {
		args []string
		say  string
	}{
		{[]string{"--default-cos", "Staff"}, "--default-cos needs --users"},
		{[]string{"--users", filepath.Join(dir, "missing.csv")}, "missing.csv: no such file or directory"},
		{[]string{"--users", noCOS, "--tables", kamailioTables}, "nocos.csv line 1: bad users file: no class-of-service column"},
		{[]string{"--users", typo, "--tables", kamailioTables}, `typo.csv line 3: bad users file: class of service "Stafff" is not in the tables (classes: "Staff", "Lobby")`},
		// Without --tables the built-in default set has only "Default".
		{[]string{"--users", kamailioUsers}, `class of service "Staff" is not in the tables (classes: "Default")`},
		{[]string{"--users", kamailioUsers, "--tables", kamailioTables, "--default-cos", "Guest"}, `the default class of service: bad users file: class of service "Guest"`},
	} {
		var stdout, stderr bytes.Buffer
		code := run(append([]string{"serve", "--engine", "native", "--listen", "127.0.0.1:0"}, tc.args...), nil, &stdout, &stderr)
		if code != exitUsage || !strings.Contains(stderr.String(), tc.say) {
			t.Errorf("serve %v = %d, stderr %q; want %d saying %q", tc.args, code, stderr.String(), exitUsage, tc.say)
		}
		if strings.Contains(stderr.String(), "135790") {
			t.Errorf("serve %v printed a PIN from the users file", tc.args)
		}
	}
}

// TestServeUsersDial runs the decision service as serve configures it
// (engine, default tables, users directory) and asks what the Kamailio
// script asks: may this caller dial this number?
func TestServeUsersDial(t *testing.T) {
	tables, err := documentArg("--tables", kamailioTables, maxTablesFile)
	if err != nil {
		t.Fatal(err)
	}
	for _, engine := range []string{"native", "wasm"} {
		t.Run(engine, func(t *testing.T) {
			eng, err := openChecker(engine)
			if err != nil {
				t.Fatal(err)
			}
			defer eng.Close()
			for _, def := range []string{"", "Lobby"} {
				dir, err := usersDirectory(kamailioUsers, def, "", tables)
				if err != nil {
					t.Fatal(err)
				}
				srv, err := server.New(server.Config{Engine: eng, Tables: api.TablesJSON(tables), Directory: dir})
				if err != nil {
					t.Fatal(err)
				}
				ts := httptest.NewServer(srv.Handler())
				for _, tc := range []struct {
					caller, number string
					status         int
					allowed        bool
					row            int
					pattern        string
					errCode        string
				}{
					{"2001", "95551234", 200, true, 5, "*", ""},
					{"3001", "95551234", 200, true, 5, "*", ""}, // alternate extension
					{"2001", "9011441234567", 200, false, 1, "9011*", ""},
					{"2001", "900", 200, false, 0, "900*", ""},
					{"2001", "99900", 200, false, 0, "99900*", ""}, // trunk code 99
					{"2100", "95551234", 200, false, 0, "9*", ""},  // the lobby phone
					{"2100", "2001", 200, true, 1, "????", ""},
					{"4444", "2001", 200, true, 1, "????", ""},    // unknown: default Lobby
					{"4444", "95551234", 200, false, 0, "9*", ""}, // ... which blocks outside calls
				} {
					if def == "" && tc.caller == "4444" {
						tc.status, tc.errCode = 400, string(server.ErrUnknownCaller)
					}
					body := `{"caller":"` + tc.caller + `","feature":"transfer","number":"` + tc.number + `"}`
					resp, err := http.Post(ts.URL+"/v1/dial", "application/json", strings.NewReader(body))
					if err != nil {
						t.Fatal(err)
					}
					b, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					var got struct {
						Allowed bool   `json:"allowed"`
						Row     int    `json:"row"`
						Pattern string `json:"pattern"`
						Error   struct {
							Code string `json:"code"`
						} `json:"error"`
					}
					json.Unmarshal(b, &got)
					if resp.StatusCode != tc.status || got.Error.Code != tc.errCode ||
						(tc.status == 200 && (got.Allowed != tc.allowed || got.Row != tc.row || got.Pattern != tc.pattern)) {
						t.Errorf("default %q: %s dials %s = %d %s; want %d allowed=%v row %d %q %s",
							def, tc.caller, tc.number, resp.StatusCode, b, tc.status, tc.allowed, tc.row, tc.pattern, tc.errCode)
					}
				}
				ts.Close()
			}
		})
	}
}

// TestServeUsersRegion: --users with a tables document that declares a
// region (destinations, docs/tables.md): the classes of service are
// checked against it with the destination data every engine has, not
// refused for data the CLI did not pass.
func TestServeUsersRegion(t *testing.T) {
	const path = "../../testdata/kamailio/velocity-tables.json"
	tables, err := documentArg("--tables", path, maxTablesFile)
	if err != nil {
		t.Fatal(err)
	}
	dir, err := usersDirectory(kamailioUsers, "", "", tables)
	if err != nil {
		t.Fatalf("usersDirectory with a region: %v", err)
	}
	if cos, ok := dir.ClassOfService("2001"); !ok || cos != "Staff" {
		t.Errorf("2001: %q %v", cos, ok)
	}
}
