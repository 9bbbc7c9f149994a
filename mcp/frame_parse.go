package mcp

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"unicode/utf8"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
)

// maxNesting is how deep a message's JSON may nest. The SDK's decoder
// refuses more than 1,000 levels, and no MCP message needs more than a
// handful; refusing here names the problem instead of the decoder's error.
const maxNesting = 1000

// maxExactID is the largest whole number a JSON number id keeps exactly
// through a float64, as the SDK decodes it.
const maxExactID = 1 << 53

// lineError is the JSON-RPC error that answers a line that is not a
// message: its code, a sentence, and the id of the line when one could be
// read (nil is null).
type lineError struct {
	Code    int64
	Message string
	ID      json.RawMessage
}

func (e *lineError) Error() string { return e.Message }

// encode writes the error answer, with "id": null when the id is unknown.
func (e *lineError) encode() ([]byte, error) {
	type wireError struct {
		Code    int64  `json:"code"`
		Message string `json:"message"`
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	err := enc.Encode(struct {
		JSONRPC string          `json:"jsonrpc"`
		ID      json.RawMessage `json:"id"`
		Error   wireError       `json:"error"`
	}{"2.0", e.ID, wireError{e.Code, e.Message}})
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), err
}

// parseError is a -32700 error: the line is not JSON text.
func parseError(format string, args ...any) *lineError {
	return &lineError{Code: jsonrpc.CodeParseError, Message: fmt.Sprintf(format, args...)}
}

// invalidRequest is a -32600 error: the line is JSON but not a message.
func invalidRequest(id json.RawMessage, format string, args ...any) *lineError {
	return &lineError{Code: jsonrpc.CodeInvalidRequest, Message: fmt.Sprintf(format, args...), ID: id}
}

// parseLine reads one line of input (number n, counted from 1) as a JSON-RPC
// message. A blank line is neither a message nor an error. Text that is not
// one JSON value in UTF-8 nesting at most maxNesting deep is a parse error;
// JSON that is not a single JSON-RPC 2.0 request, notification or response
// is an invalid request. Batches (arrays) are refused as invalid requests:
// MCP dropped them in protocol 2025-06-18, and no client of this server sends
// them over stdio.
func parseLine(text []byte, n int) (jsonrpc.Message, *lineError) {
	return parseMessage(text, fmt.Sprintf("line %d", n))
}

// parseMessage is parseLine for a message that what names in sentences
// ("line 3", "the request body").
func parseMessage(text []byte, what string) (jsonrpc.Message, *lineError) {
	text = bytes.Trim(text, " \t\r")
	if len(text) == 0 {
		return nil, nil
	}
	if off := invalidUTF8(text); off >= 0 {
		return nil, parseError("%s is not valid UTF-8: byte 0x%02x at offset %d", what, text[off], off)
	}
	if nestsDeeper(text, maxNesting) {
		return nil, parseError("%s nests deeper than %d levels of arrays and objects", what, maxNesting)
	}
	dec := json.NewDecoder(bytes.NewReader(text))
	var raw json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, parseError("%s is not JSON: it ends in the middle of a value", what)
		}
		return nil, parseError("%s is not JSON: %v", what, err)
	}
	if off := int(dec.InputOffset()); off < len(text) {
		off += len(text[off:]) - len(bytes.TrimLeft(text[off:], " \t"))
		return nil, parseError("%s goes on after its JSON value, at offset %d: each message must be one JSON value on a line of its own", what, off)
	}
	switch raw[0] {
	case '{':
		return parseObject(raw, what)
	case '[':
		if bytes.Equal(bytes.Join(bytes.Fields(raw), nil), []byte("[]")) {
			return nil, invalidRequest(nil, "%s is an empty batch: this server takes one message per line, not batches", what)
		}
		return nil, invalidRequest(nil, "%s is a batch (a JSON array): this server takes one message per line, not batches", what)
	}
	return nil, invalidRequest(nil, "%s is a JSON %s, not a JSON-RPC message (an object with \"jsonrpc\": \"2.0\")", what, jsonKind(raw))
}

// parseObject reads a JSON object as a JSON-RPC message. Each error names the
// member at fault and carries the message's id when it is a usable one.
func parseObject(raw json.RawMessage, what string) (jsonrpc.Message, *lineError) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, parseError("%s is not JSON: %v", what, err)
	}
	idText, hasID := m["id"]
	id, idOK := usableID(idText)
	if !idOK {
		id = nil
	}
	if v, ok := m["jsonrpc"]; !ok {
		return nil, invalidRequest(id, "%s has no \"jsonrpc\" member: a JSON-RPC message must say \"jsonrpc\": \"2.0\"", what)
	} else if string(v) != `"2.0"` {
		return nil, invalidRequest(id, "%s has \"jsonrpc\": %s, but only \"2.0\" is served", what, excerpt(v))
	}
	if hasID && !idOK {
		return nil, invalidRequest(nil, "%s has the id %s: an id must be a string or a whole number no larger than 2^53", what, excerpt(idText))
	}
	method, isRequest := m["method"]
	if isRequest && jsonKind(method) != "string" {
		return nil, invalidRequest(id, "%s has a method that is a JSON %s: a method must be a string", what, jsonKind(method))
	}
	if p, ok := m["params"]; ok && isRequest {
		if k := jsonKind(p); k != "object" && k != "array" && k != "null" {
			return nil, invalidRequest(id, "%s has params that are a JSON %s: params must be an object or an array", what, k)
		}
	}
	if !isRequest {
		_, hasResult := m["result"]
		_, hasError := m["error"]
		switch {
		case id == nil || string(id) == "null":
			return nil, invalidRequest(nil, "%s is neither a request (it has no method) nor a response (it has no id)", what)
		case hasResult == hasError:
			return nil, invalidRequest(id, "%s is a response that must have exactly one of \"result\" and \"error\"", what)
		}
	}
	msg, err := jsonrpc.DecodeMessage(raw)
	if err != nil {
		return nil, invalidRequest(id, "%s is not a JSON-RPC message: %v", what, err)
	}
	return msg, nil
}

// usableID reports whether an id member (nil when absent) can be echoed in an
// answer: a string, a whole number that a float64 holds exactly, or null.
func usableID(v json.RawMessage) (json.RawMessage, bool) {
	switch jsonKind(v) {
	case "", "null", "string":
		return v, true
	case "number":
		var f float64
		if json.Unmarshal(v, &f) != nil || f != math.Trunc(f) || math.Abs(f) > maxExactID {
			return nil, false
		}
		return v, true
	}
	return nil, false
}

// jsonKind names the kind of a JSON value: object, array, string, number,
// boolean or null ("" for no value).
func jsonKind(v json.RawMessage) string {
	v = bytes.TrimLeft(v, " \t\r\n")
	if len(v) == 0 {
		return ""
	}
	switch v[0] {
	case '{':
		return "object"
	case '[':
		return "array"
	case '"':
		return "string"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	}
	return "number"
}

// excerpt shows a JSON value in an error, cut to a readable length.
func excerpt(v json.RawMessage) string {
	const most = 40
	if len(v) <= most {
		return string(v)
	}
	cut := most
	for cut > 0 && !utf8.RuneStart(v[cut]) {
		cut--
	}
	return string(v[:cut]) + "…"
}

// invalidUTF8 returns the offset of the first byte of text that is not
// valid UTF-8, or -1. JSON text must be UTF-8; the decoder would replace the
// bytes with U+FFFD instead of refusing them.
func invalidUTF8(text []byte) int {
	if utf8.Valid(text) {
		return -1
	}
	for off := 0; off < len(text); {
		r, size := utf8.DecodeRune(text[off:])
		if r == utf8.RuneError && size == 1 {
			return off
		}
		off += size
	}
	return -1
}

// nestsDeeper reports whether JSON text opens more than limit arrays and
// objects inside each other, in one pass that skips over strings.
func nestsDeeper(text []byte, limit int) bool {
	depth, inString, escaped := 0, false, false
	for _, b := range text {
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case b == '\\':
				escaped = true
			case b == '"':
				inString = false
			}
		case b == '"':
			inString = true
		case b == '{' || b == '[':
			if depth++; depth > limit {
				return true
			}
		case (b == '}' || b == ']') && depth > 0:
			depth--
		}
	}
	return false
}
