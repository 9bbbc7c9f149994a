package gitlabfake

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// params are a request's parameters as GitLab takes them: a JSON body, a
// form body, or the query string, in that order of precedence.
type params struct {
	body map[string]any // a JSON body, numbers as json.Number
	form url.Values     // the query string and a form body
}

func readParams(r *http.Request) (params, error) {
	p := params{body: map[string]any{}}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct == "application/json" {
		raw, _ := io.ReadAll(r.Body)
		if len(bytes.TrimSpace(raw)) > 0 {
			dec := json.NewDecoder(bytes.NewReader(raw))
			dec.UseNumber()
			if err := dec.Decode(&p.body); err != nil {
				return p, errors.New("400 Bad request - the body is not a JSON object")
			}
		}
	}
	if err := r.ParseForm(); err != nil {
		return p, errors.New("400 Bad request - the form cannot be read")
	}
	p.form = r.Form
	return p, nil
}

// has reports whether the request names the parameter at all.
func (p params) has(key string) bool {
	if _, ok := p.body[key]; ok {
		return true
	}
	_, ok := p.form[key]
	_, okList := p.form[key+"[]"]
	return ok || okList
}

// str is a parameter's text; a JSON null is "".
func (p params) str(key string) (string, bool) {
	if v, ok := p.body[key]; ok {
		switch v := v.(type) {
		case string:
			return v, true
		case json.Number:
			return v.String(), true
		case nil:
			return "", true
		}
		return "", true
	}
	if vs, ok := p.form[key]; ok && len(vs) > 0 {
		return vs[0], true
	}
	return "", false
}

// list is a parameter given as a comma string ("a,b"), a JSON array, or
// repeated form values (key[]=a&key[]=b).
func (p params) list(key string) ([]string, bool) {
	var raw []string
	if v, ok := p.body[key]; ok {
		switch v := v.(type) {
		case string:
			raw = []string{v}
		case json.Number:
			raw = []string{v.String()}
		case []any:
			for _, x := range v {
				switch x := x.(type) {
				case string:
					raw = append(raw, x)
				case json.Number:
					raw = append(raw, x.String())
				}
			}
		}
	} else if !p.has(key) {
		return nil, false
	} else {
		raw = append(p.form[key], p.form[key+"[]"]...)
	}
	out := []string{}
	for _, v := range raw {
		for _, part := range strings.Split(v, ",") {
			if part = strings.TrimSpace(part); part != "" {
				out = append(out, part)
			}
		}
	}
	return out, true
}

// ids is a list of numeric ids; 0 stands for none, as in assignee_ids=0.
func (p params) ids(key string) ([]int64, bool, error) {
	vs, ok := p.list(key)
	if !ok {
		return nil, false, nil
	}
	out := []int64{}
	for _, v := range vs {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id < 0 {
			return nil, true, errors.New(key + " is invalid")
		}
		if id > 0 {
			out = append(out, id)
		}
	}
	return out, true, nil
}
