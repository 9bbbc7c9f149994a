package board

import (
	"encoding/json"
	"html/template"
)

// pageNames are the templates that are whole pages; each is parsed with
// the layout.
var pageNames = []string{"board", "task", "agents", "projects", "error"}

// htmxConfig keeps htmx within the Content-Security-Policy (no eval, no
// injected style) and lets it swap a 422, the status of a page whose
// filter does not parse.
const htmxConfig = `{"allowEval":false,"allowScriptTags":false,"includeIndicatorStyles":false,"historyCacheSize":0,` +
	`"responseHandling":[{"code":"204","swap":false},{"code":"[23]..","swap":true},{"code":"422","swap":true},{"code":"[45]..","swap":false,"error":true}]}`

// funcs are the templates' functions.
func funcs() template.FuncMap {
	return template.FuncMap{
		"add":        func(a, b int) int { return a + b },
		"priorities": func() []string { return []string{"", "L", "M", "H"} },
		"htmxConfig": func() string { return htmxConfig },
		"csrfHeaders": func(token string) string {
			b, _ := json.Marshal(map[string]string{"X-CSRF-Token": token})
			return string(b)
		},
	}
}

// parsePages parses every page with the layout; a template that does not
// parse is a bug of the build, found by any test.
func parsePages() map[string]*template.Template {
	out := map[string]*template.Template{}
	fm := funcs()
	for _, name := range pageNames {
		out[name] = template.Must(template.New(name).Funcs(fm).ParseFS(templateFS, "templates/layout.html", "templates/"+name+".html"))
	}
	return out
}
