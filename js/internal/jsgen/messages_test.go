package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"testing"
)

var update = flag.Bool("update", false, "rewrite js/messages.en.json from core's catalogue")

const jsDir = "../.."

// TestEnglishCatalogue keeps js/messages.en.json equal to core.Catalogue();
// run `go test ./js/internal/jsgen -update` after adding a message in core.
func TestEnglishCatalogue(t *testing.T) {
	want, err := messagesJSON()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(jsDir, "messages.en.json")
	if *update {
		if err := os.WriteFile(path, want, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s differs from core.Catalogue(): run 'go test ./js/internal/jsgen -update' and translate new codes in js/messages.fr.json", path)
	}
}

var placeholder = regexp.MustCompile(`\{[a-z]+\}`)

// TestTranslations demands that every other catalogue translates exactly
// the English codes and uses the same placeholders in each template.
func TestTranslations(t *testing.T) {
	en := readCatalogue(t, "messages.en.json")
	paths, _ := filepath.Glob(filepath.Join(jsDir, "messages.*.json"))
	others := 0
	for _, p := range paths {
		name := filepath.Base(p)
		if name == "messages.en.json" {
			continue
		}
		others++
		tr := readCatalogue(t, name)
		if want := name[len("messages.") : len(name)-len(".json")]; tr.Lang != want {
			t.Errorf("%s: lang %q, want %q", name, tr.Lang, want)
		}
		for code, tmpl := range en.Messages {
			got, ok := tr.Messages[code]
			if !ok {
				t.Errorf("%s: no translation for code %q (English: %q)", name, code, tmpl)
				continue
			}
			if a, b := placeholders(tmpl), placeholders(got); a != b {
				t.Errorf("%s: code %q uses placeholders %s, English uses %s", name, code, b, a)
			}
		}
		for code := range tr.Messages {
			if _, ok := en.Messages[code]; !ok {
				t.Errorf("%s: code %q is not in the English catalogue", name, code)
			}
		}
	}
	if others == 0 {
		t.Error("no second language: want js/messages.fr.json or another")
	}
}

func placeholders(s string) string {
	p := placeholder.FindAllString(s, -1)
	sort.Strings(p)
	b, _ := json.Marshal(p)
	return string(b)
}

func readCatalogue(t *testing.T, name string) catalogueFile {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(jsDir, name))
	if err != nil {
		t.Fatal(err)
	}
	var f catalogueFile
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return f
}
