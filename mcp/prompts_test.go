package mcp

import (
	"context"
	"errors"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/agent-backlog/backlog/engine"
	"github.com/agent-backlog/backlog/store/memstore"
)

var promptNames = []string{"groom", "handoff", "implement", "plan", "spec", "standup"}

func TestPromptsListAndGet(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	ctx := context.Background()
	list, err := f.cs.ListPrompts(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range list.Prompts {
		names = append(names, p.Name)
		if p.Description == "" {
			t.Errorf("%s has no description", p.Name)
		}
	}
	slices.Sort(names)
	if !slices.Equal(names, promptNames) {
		t.Errorf("prompts %v, want %v", names, promptNames)
	}
	args := map[string]map[string]string{
		"plan":      {"goal": "SSO login", "project": "auth"},
		"standup":   {},
		"groom":     {"project": "web"},
		"spec":      {"id": "12"},
		"implement": {},
		"handoff":   {"project": "auth"},
	}
	toolRef := regexp.MustCompile(`\btask_[a-z_]+`)
	for _, name := range promptNames {
		res, err := f.cs.GetPrompt(ctx, &sdk.GetPromptParams{Name: name, Arguments: args[name]})
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if len(res.Messages) != 1 || res.Messages[0].Role != "user" {
			t.Fatalf("%s: messages %+v", name, res.Messages)
		}
		txt := res.Messages[0].Content.(*sdk.TextContent).Text
		for _, tool := range toolRef.FindAllString(txt, -1) {
			if f.tools[tool] == nil {
				t.Errorf("%s names %s, which is not a tool", name, tool)
			}
		}
		for _, v := range args[name] {
			if !strings.Contains(txt, v) {
				t.Errorf("%s does not use its argument %q", name, v)
			}
		}
	}
	t.Run("missing and unknown arguments are errors", func(t *testing.T) {
		for _, c := range []struct {
			name string
			args map[string]string
			want string
		}{
			{"plan", nil, `prompt plan needs the argument "goal"`},
			{"spec", map[string]string{"id": " "}, `prompt spec needs the argument "id"`},
			{"standup", map[string]string{"colour": "red"}, `prompt standup has no argument "colour"`},
		} {
			_, err := f.cs.GetPrompt(ctx, &sdk.GetPromptParams{Name: c.name, Arguments: c.args})
			var werr *jsonrpc.Error
			if !errors.As(err, &werr) || werr.Code != jsonrpc.CodeInvalidParams || werr.Message != c.want {
				t.Errorf("%s: got %v, want %q", c.name, err, c.want)
			}
		}
	})
}

// Every filter a prompt tells the agent to use must parse, and every
// fields list must name task fields.
func TestPromptFiltersParse(t *testing.T) {
	e := engine.New(memstore.New(), engine.Options{Clock: clock})
	filterRe := regexp.MustCompile(`"filter": "((?:[^"\\]|\\.)*)"`)
	fieldsRe := regexp.MustCompile(`"fields": "([^"]*)"`)
	checked := 0
	defer func() {
		if checked < 20 {
			t.Errorf("only %d filters checked", checked)
		}
	}()
	for _, p := range prompts() {
		for _, project := range []string{"", "web.api"} {
			txt := p.text(map[string]string{"goal": "g", "id": "12", "project": project})
			for _, m := range filterRe.FindAllStringSubmatch(txt, -1) {
				checked++
				if _, err := e.Count(context.Background(), m[1]); err != nil && !strings.Contains(m[1], "<") {
					t.Errorf("%s: filter %q: %v", p.name, m[1], err)
				}
			}
			for _, m := range fieldsRe.FindAllStringSubmatch(txt, -1) {
				for _, name := range strings.Split(m[1], ",") {
					if !slices.Contains(taskFieldNames, name) {
						t.Errorf("%s: fields names %q, which task_list refuses", p.name, name)
					}
				}
			}
		}
	}
}

func TestPromptsNeedTheirTools(t *testing.T) {
	f := newFixture(t, fixtureOptions{opts: Options{ReadOnly: true}})
	list, err := f.cs.ListPrompts(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Prompts) != 1 || list.Prompts[0].Name != "standup" {
		t.Errorf("read-only prompts: %+v", list.Prompts)
	}
}

func TestDocResource(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	ctx := context.Background()
	tmpls, err := f.cs.ListResourceTemplates(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(tmpls.ResourceTemplates) != 1 || tmpls.ResourceTemplates[0].URITemplate != "backlog://task/{uuid}/doc" ||
		tmpls.ResourceTemplates[0].MIMEType != "text/markdown" {
		t.Fatalf("templates: %s", show(tmpls.ResourceTemplates))
	}
	a := f.add(map[string]any{"description": "With a doc"})
	b := f.add(map[string]any{"description": "Without"})
	f.ok("task_doc_write", map[string]any{"id": a["id"], "content": "# Spec\nDo it."})

	uri := "backlog://task/" + a["uuid"].(string) + "/doc"
	res, err := f.cs.ReadResource(ctx, &sdk.ReadResourceParams{URI: uri})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Contents) != 1 || res.Contents[0].Text != "# Spec\nDo it." || res.Contents[0].MIMEType != "text/markdown" || res.Contents[0].URI != uri {
		t.Errorf("read: %s", show(res))
	}
	for _, bad := range []string{
		"backlog://task/" + b["uuid"].(string) + "/doc",           // no doc
		"backlog://task/00000000-0000-4000-8000-000000000000/doc", // no task
	} {
		_, err := f.cs.ReadResource(ctx, &sdk.ReadResourceParams{URI: bad})
		var werr *jsonrpc.Error
		if !errors.As(err, &werr) || werr.Code != jsonrpc.CodeInvalidParams || werr.Message != "Resource not found" {
			t.Errorf("%s: got %v, want resource not found", bad, err)
		}
	}
	_, err = f.cs.ReadResource(ctx, &sdk.ReadResourceParams{URI: "backlog://task/auth/doc"})
	var werr *jsonrpc.Error
	if !errors.As(err, &werr) || werr.Code != jsonrpc.CodeInvalidParams || !strings.Contains(werr.Message, `"auth" is not a task id`) {
		t.Errorf("bad reference: got %v", err)
	}
}
