package cli

import "net/url"

type whereCmd struct{}

func (c *whereCmd) Help() string {
	return `Shows which store file, namespace and agent id a command run here would
use, and which setting chose each. It opens nothing and creates nothing.

Which backlog: --data DIR wins; else TASKDATA (a directory); else
TASKDATA_ROOT/<slug>; else $XDG_DATA_HOME/backlog/projects/<slug>, with
~/.local/share when XDG_DATA_HOME is unset. The slug is the base name of the
git root of the working directory (or of the working directory, outside git)
and the first 8 hex digits of the SHA-256 of its path. The store is
DIR/backlog.db, or DIR/backlog-<namespace>.db with BACKLOG_NAMESPACE (1-64 of
A-Z a-z 0-9 _ -) or BACKLOG_AUTO_NAMESPACE=true (the slug). The agent id is
BACKLOG_AGENT_ID, else user@host.

Examples:

    backlog where
    TASKDATA=/tmp/b backlog where --json`
}

// whereJSON is what where --json prints.
type whereJSON struct {
	Backend       string  `json:"backend"`
	BackendFrom   string  `json:"backend_from"`
	Store         string  `json:"store"`
	StoreFrom     string  `json:"store_from"`
	Exists        bool    `json:"exists"`
	Namespace     *string `json:"namespace"`
	NamespaceFrom string  `json:"namespace_from"`
	Agent         string  `json:"agent"`
	AgentFrom     string  `json:"agent_from"`
}

func (c *whereCmd) Run(a *runner) error {
	cfg, err := a.Config()
	if err != nil {
		return err
	}
	storeName, storeFrom, exists := cfg.File, cfg.DirFrom, fileExists(cfg.File)
	switch cfg.Backend {
	case "postgres":
		storeName, storeFrom, exists = redactURL(cfg.DatabaseURL), cfg.DatabaseURLFrom, true
	case "s3":
		storeName, storeFrom, exists = cfg.S3.URL(), cfg.S3.KeyFrom, true
	}
	if a.globals.JSON {
		w := whereJSON{Backend: cfg.Backend, BackendFrom: cfg.BackendFrom, Store: storeName, StoreFrom: storeFrom,
			Exists: exists, NamespaceFrom: cfg.NamespaceFrom, Agent: cfg.Agent, AgentFrom: cfg.AgentFrom}
		if cfg.Namespace != "" {
			w.Namespace = &cfg.Namespace
		}
		return a.printJSON(w)
	}
	store := storeName
	if !exists {
		store += " (not created yet)"
	}
	ns := cfg.Namespace
	if ns == "" {
		ns = "none"
	}
	for _, row := range [][3]string{
		{"backend", cfg.Backend, cfg.BackendFrom},
		{"store", store, storeFrom},
		{"namespace", ns, cfg.NamespaceFrom},
		{"agent", cfg.Agent, cfg.AgentFrom},
	} {
		a.say("%-10s %s", row[0], row[1])
		a.say("%-10s %s", "", a.paint(styleDim, "chosen by "+row[2]))
	}
	return nil
}

// redactURL hides a password in a database URL.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		return s
	}
	if _, has := u.User.Password(); has {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}
