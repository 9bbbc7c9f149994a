package main

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/agent-backlog/backlog/s3store/s3api"
	"github.com/agent-backlog/backlog/s3store/s3test"
)

// TestBackupAndRestore runs testdata/s3/*.txtar (backup, restore, migrate
// from S3) with the backlog on each store: SQLite, PostgreSQL (skipped
// without a server, as TestScriptsOnPostgres is) and S3, with gofakes3 as
// the S3 server.
func TestBackupAndRestore(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres", "s3"} {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			srv := s3test.Fake(t)
			for _, bucket := range []string{"backups", "live"} {
				c, err := s3api.New(s3api.Config{Endpoint: srv.URL, Bucket: bucket, PathStyle: true,
					Credentials: s3api.Static(s3api.Credentials{AccessKeyID: srv.AccessKey, SecretAccessKey: srv.SecretKey})})
				if err != nil {
					t.Fatal(err)
				}
				if err := c.CreateBucket(context.Background()); err != nil {
					t.Fatal(err)
				}
			}
			var server string
			if backend == "postgres" {
				server = requirePostgres(t)
			}
			p := scriptParams(backend == "postgres")
			p.Dir = "testdata/s3"
			p.Setup = func(env *testscript.Env) error {
				for _, kv := range srv.Env("", env.WorkDir+"/s3cache") {
					k, v, _ := strings.Cut(kv, "=")
					env.Setenv(k, v)
				}
				env.Setenv("BACKLOG_BACKEND", backend)
				env.Setenv("BACKLOG_S3_BUCKET", "live")
				env.Setenv("TASKDATA", env.WorkDir+"/data")
				if backend == "s3" {
					env.Setenv("TASKDATA", "team/"+randomHex(4))
				}
				if backend == "postgres" {
					schema := fmt.Sprintf("script_%d_%s", time.Now().Unix(), randomHex(4))
					u, err := url.Parse(server)
					if err != nil {
						return err
					}
					q := u.Query()
					q.Set("search_path", schema)
					u.RawQuery = q.Encode()
					env.Setenv("BACKLOG_DATABASE_URL", u.String())
					env.Defer(func() { dropSchema(server, schema) })
				}
				return nil
			}
			testscript.Run(t, p)
		})
	}
}
