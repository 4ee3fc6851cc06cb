package server_test

import (
	"os"
	"regexp"
	"slices"
	"testing"

	"github.com/tollgate/tollgate/internal/server"
)

// TestOpenAPIListsEveryRoute keeps docs/openapi.yaml and the routes in
// step: every route is documented and every documented path exists.
func TestOpenAPIListsEveryRoute(t *testing.T) {
	b, err := os.ReadFile("../../docs/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc []string
	for _, m := range regexp.MustCompile(`(?m)^  (/\S*):$`).FindAllStringSubmatch(string(b), -1) {
		doc = append(doc, m[1])
	}
	routes := server.Routes()
	slices.Sort(doc)
	slices.Sort(routes)
	if !slices.Equal(doc, routes) {
		t.Errorf("docs/openapi.yaml paths %v\n             routes %v", doc, routes)
	}
}
