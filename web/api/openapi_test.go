package api

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
)

// served is the document the API serves.
func (f *fixture) served() []byte {
	f.t.Helper()
	a := f.do("GET", "/api/v1/openapi.json", "")
	if a.status != http.StatusOK || a.header.Get("Content-Type") != "application/json" {
		f.t.Fatalf("GET /api/v1/openapi.json: %d %s", a.status, a.header.Get("Content-Type"))
	}
	return []byte(a.body)
}

func TestTheOpenAPIDocumentIsValidOpenAPI31(t *testing.T) {
	f := newFixture(t)
	doc, err := libopenapi.NewDocument(f.served())
	if err != nil {
		t.Fatalf("libopenapi cannot read the document: %v", err)
	}
	if v := doc.GetVersion(); v != "3.1.0" {
		t.Fatalf("the document is OpenAPI %s, want 3.1.0", v)
	}
	v, errs := validator.NewValidator(doc)
	if len(errs) > 0 {
		t.Fatalf("cannot build a validator: %v", errs)
	}
	ok, verrs := v.ValidateDocument()
	for _, e := range verrs {
		t.Errorf("%s: %s", e.Message, e.Reason)
		for _, s := range e.SchemaValidationErrors {
			t.Errorf("  %s at %s", s.Reason, s.FieldPath)
		}
	}
	if !ok {
		t.Fatal("the document does not validate against the OpenAPI 3.1 schema")
	}
}

func TestTheValidatorRefusesABrokenDocument(t *testing.T) {
	// So that the test above can fail: a document with an operation that
	// has no responses is refused.
	doc, err := libopenapi.NewDocument([]byte(`{"openapi":"3.1.0","info":{"title":"x","version":"1"},"paths":{"/a":{"get":{"responses":{"200":{}}}}}}`))
	if err != nil {
		t.Fatal(err)
	}
	v, _ := validator.NewValidator(doc)
	if ok, _ := v.ValidateDocument(); ok {
		t.Fatal("a response without a description passed")
	}
}

func TestEveryRouteOfTheRouterAppearsInTheOpenAPIDocument(t *testing.T) {
	f := newFixture(t)
	var doc struct {
		Paths map[string]map[string]struct {
			OperationID string `json:"operationId"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(f.served(), &doc); err != nil {
		t.Fatal(err)
	}
	if len(f.h.patterns) < 20 {
		t.Fatalf("the router serves only %d routes: %v", len(f.h.patterns), f.h.patterns)
	}
	documented := 0
	for _, item := range doc.Paths {
		documented += len(item)
	}
	if documented != len(f.h.patterns) {
		t.Errorf("the document has %d operations, the router %d", documented, len(f.h.patterns))
	}
	for _, p := range f.h.patterns {
		method, path, _ := strings.Cut(p, " ")
		op, ok := doc.Paths[path][strings.ToLower(method)]
		if !ok || op.OperationID == "" {
			t.Errorf("the router serves %s, which the document does not list", p)
		}
	}
	// And the other way: every documented operation reaches a route, not
	// the router's "no route" answer.
	for path, item := range doc.Paths {
		for method := range item {
			pattern := strings.ToUpper(method) + " " + path
			if !slices.Contains(f.h.patterns, pattern) {
				t.Errorf("the document lists %s, which the router does not serve", pattern)
			}
			if strings.Contains(path, "changes") {
				continue // an event stream does not end
			}
			a := f.do(strings.ToUpper(method), strings.ReplaceAll(path, "{id}", "1"), "")
			if a.status == http.StatusNotFound && strings.Contains(a.body, "no route") {
				t.Errorf("%s %s reached no route", method, path)
			}
		}
	}
}
