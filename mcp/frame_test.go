package mcp

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"

	"github.com/agent-backlog/backlog/store/memstore"
)

func FuzzParseLine(f *testing.F) {
	for _, seed := range []string{
		"", "  \r", "hello", "42", `"x"`, "null", "[]", `[{"jsonrpc":"2.0","id":1,"method":"ping"}]`,
		initLine, countLine, initializedLine, `{"jsonrpc":"2.0","id":9,"method":`, `{"a":1}{"b":2}`,
		`{"jsonrpc":"2.0","id":{"a":1},"method":"ping"}`, `{"jsonrpc":"2.0","id":1.5}`, `{"jsonrpc":"2.0","id":3,"result":{}}`,
		`{"jsonrpc":"2.0","id":3,"error":{"code":1,"message":"x"}}`, `{"jsonrpc":"2.0","id":3,"error":5}`,
		"\xff", "{\"a\":\"\\\"\"}", strings.Repeat("[", 1001), strings.Repeat(`{"a":`, 3),
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		msg, bad := parseLine(line, 1)
		switch {
		case bad != nil:
			if msg != nil {
				t.Fatalf("both a message and an error (%s)", bad.Message)
			}
			if bad.Code != jsonrpc.CodeParseError && bad.Code != jsonrpc.CodeInvalidRequest {
				t.Fatalf("code %d for %q", bad.Code, line)
			}
			if !strings.HasPrefix(bad.Message, "line 1 ") {
				t.Fatalf("the error does not name the line: %q", bad.Message)
			}
			data, err := bad.encode()
			var answer struct {
				ID    json.RawMessage       `json:"id"`
				Error *struct{ Code int64 } `json:"error"`
			}
			if err != nil || json.Unmarshal(data, &answer) != nil || answer.Error == nil || answer.ID == nil {
				t.Fatalf("the answer %s is not a JSON-RPC error with an id (%v)", data, err)
			}
		case msg != nil:
			if _, err := jsonrpc.EncodeMessage(msg); err != nil {
				t.Fatalf("a message read from %q does not encode: %v", line, err)
			}
		case strings.Trim(string(line), " \t\r") != "":
			t.Fatalf("neither a message nor an error for %q", line)
		}
	})
}

func TestStdioAnswersADuplicateIDWithIDNull(t *testing.T) {
	// The SDK drops a call whose id is still in flight, without an answer.
	client := startStdioOn(t, slowStore{Store: memstore.New(), delay: 300 * time.Millisecond}, Options{})
	client.initialize()
	add := `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"task_add","arguments":{"description":"slow"}}}` + "\n"
	client.send(add + add)
	first, second := client.next(), client.next()
	if first["error"] == nil {
		first, second = second, first
	}
	wantError(t, first, -32600, nil, "request id 7 is already in use by a request not yet answered")
	if second["id"] != 7.0 || second["result"] == nil {
		t.Errorf("the first call: %s", show(second))
	}
	client.finish()
}
