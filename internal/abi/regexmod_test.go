package abi

import (
	"bytes"
	"encoding/json"
	"os"
	"testing"
)

// regexModGolden is regexmod.json, the regex module's constants for the JS
// package to mirror (js/test/abi.test.mjs); the -update flag rewrites it.
func regexModGolden() ([]byte, error) {
	g := map[string]any{
		"version": RegexModVersion,
		"file":    RegexModFile,
		"exports": map[string]string{
			"initialize": RegexModExportInitialize, "version": RegexModExportVersion,
			"bufPtr": RegexModExportBufPtr, "bufCap": RegexModExportBufCap,
			"bufReserve": RegexModExportBufReserve, "compile": RegexModExportCompile,
			"match": RegexModExportMatch, "count": RegexModExportCount,
		},
		"max_patterns":     RegexModMaxPatterns,
		"max_per_instance": RegexModMaxPerInstance,
		"build":            map[string]any{"go": BuildGo, "args": RegexModBuildArgs()},
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	err := enc.Encode(g)
	return b.Bytes(), err
}

func TestRegexModGolden(t *testing.T) {
	want, err := regexModGolden()
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile("regexmod.json", want, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile("regexmod.json")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("internal/abi/regexmod.json differs from the RegexMod constants; run go test ./internal/abi -run RegexMod -update and review the diff")
	}
}
