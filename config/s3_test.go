package config

import (
	"errors"
	"strings"
	"testing"

	backlog "github.com/agent-backlog/backlog"
)

func TestResolveS3PlacesTheBacklogInTheBucket(t *testing.T) {
	home := t.TempDir()
	base := map[string]string{"HOME": home, "BACKLOG_BACKEND": "s3", "BACKLOG_S3_BUCKET": "team-backlog"}
	with := func(kv ...string) map[string]string {
		m := map[string]string{}
		for k, v := range base {
			m[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	tests := []struct {
		name string
		env  map[string]string
		flag string
		want S3
	}{
		{"no prefix and no namespace: one object at the top of the bucket", with(),
			"", S3{Bucket: "team-backlog", Key: "backlog.db.zst", Region: "us-east-1", Cache: home + "/.cache/backlog/s3"}},
		{"TASKDATA is the key prefix, slashes around it trimmed", with("TASKDATA", "/my-project/tasks/"),
			"", S3{Bucket: "team-backlog", Key: "my-project/tasks/backlog.db.zst", Region: "us-east-1", Cache: home + "/.cache/backlog/s3"}},
		{"--data wins over TASKDATA", with("TASKDATA", "a"),
			"b/c", S3{Bucket: "team-backlog", Key: "b/c/backlog.db.zst", Region: "us-east-1", Cache: home + "/.cache/backlog/s3"}},
		{"a namespace gets an object of its own, as SQLite gives it a file", with("TASKDATA", "p", "BACKLOG_NAMESPACE", "web"),
			"", S3{Bucket: "team-backlog", Key: "p/backlog-web.db.zst", Region: "us-east-1", Cache: home + "/.cache/backlog/s3"}},
		{"an endpoint means path-style addressing, and a host alone means https", with("BACKLOG_S3_ENDPOINT", "minio.internal:9000", "BACKLOG_S3_REGION", "eu-west-3"),
			"", S3{Bucket: "team-backlog", Key: "backlog.db.zst", Region: "eu-west-3", Endpoint: "https://minio.internal:9000", PathStyle: true, Cache: home + "/.cache/backlog/s3"}},
		{"path style can be turned off", with("BACKLOG_S3_ENDPOINT", "http://127.0.0.1:7070/", "BACKLOG_S3_PATH_STYLE", "false"),
			"", S3{Bucket: "team-backlog", Key: "backlog.db.zst", Region: "us-east-1", Endpoint: "http://127.0.0.1:7070", Cache: home + "/.cache/backlog/s3"}},
		{"the region falls back on AWS_REGION", with("AWS_REGION", "ap-south-1"),
			"", S3{Bucket: "team-backlog", Key: "backlog.db.zst", Region: "ap-south-1", Cache: home + "/.cache/backlog/s3"}},
		{"the cache follows XDG_CACHE_HOME", with("XDG_CACHE_HOME", "/xdg"),
			"", S3{Bucket: "team-backlog", Key: "backlog.db.zst", Region: "us-east-1", Cache: "/xdg/backlog/s3"}},
		{"BACKLOG_S3_CACHE wins", with("XDG_CACHE_HOME", "/xdg", "BACKLOG_S3_CACHE", "/c"),
			"", S3{Bucket: "team-backlog", Key: "backlog.db.zst", Region: "us-east-1", Cache: "/c"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Resolve(fakeSource(tt.env, t.TempDir()), Flags{Data: tt.flag})
			if err != nil {
				t.Fatal(err)
			}
			if c.Backend != "s3" || c.File != "" {
				t.Errorf("Backend %q, File %q; want s3 and no file", c.Backend, c.File)
			}
			got := c.S3
			got.KeyFrom = ""
			if got != tt.want {
				t.Errorf("S3 =\n  %+v\nwant\n  %+v", got, tt.want)
			}
		})
	}
}

func TestResolveS3RejectsBadValuesInOneSentence(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"no bucket", map[string]string{}, "BACKLOG_BACKEND=s3 needs a bucket: set BACKLOG_S3_BUCKET"},
		{"a bucket with capitals", map[string]string{"BACKLOG_S3_BUCKET": "Team"},
			`BACKLOG_S3_BUCKET must be an S3 bucket name: 3 to 63 lower-case letters, digits, '.' or '-', starting and ending with a letter or digit; got "Team"`},
		{"a bucket of two letters", map[string]string{"BACKLOG_S3_BUCKET": "ab"}, `BACKLOG_S3_BUCKET must be an S3 bucket name`},
		{"a prefix that climbs", map[string]string{"BACKLOG_S3_BUCKET": "b-1", "TASKDATA": "a/../b"},
			`TASKDATA must be a key prefix such as team/backlog, of names without "." or ".." alone, control characters or a backslash, with BACKLOG_BACKEND=s3; got "a/../b"`},
		{"a prefix with an empty name", map[string]string{"BACKLOG_S3_BUCKET": "b-1", "TASKDATA": "a//b"}, "TASKDATA must be a key prefix"},
		{"a region with a space", map[string]string{"BACKLOG_S3_BUCKET": "b-1", "BACKLOG_S3_REGION": "us east"},
			`BACKLOG_S3_REGION must be an S3 region such as us-east-1 or eu-west-3, got "us east"`},
		{"an endpoint that is not http", map[string]string{"BACKLOG_S3_BUCKET": "b-1", "BACKLOG_S3_ENDPOINT": "ftp://x"},
			`BACKLOG_S3_ENDPOINT must be the server's URL such as https://s3.example.com or http://127.0.0.1:7070, got "ftp://x"`},
		{"an endpoint with a query", map[string]string{"BACKLOG_S3_BUCKET": "b-1", "BACKLOG_S3_ENDPOINT": "http://x/?a=1"}, "BACKLOG_S3_ENDPOINT must be the server's URL"},
		{"a path style that is not a boolean", map[string]string{"BACKLOG_S3_BUCKET": "b-1", "BACKLOG_S3_PATH_STYLE": "yes please"},
			`BACKLOG_S3_PATH_STYLE must be true or false, got "yes please"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.env["BACKLOG_BACKEND"] = "s3"
			tt.env["HOME"] = t.TempDir()
			_, err := Resolve(fakeSource(tt.env, t.TempDir()), Flags{})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.want)
			}
			if !errors.Is(err, backlog.ErrInvalid) || strings.Count(err.Error(), ". ") > 0 {
				t.Errorf("err = %v, want one sentence of kind ErrInvalid", err)
			}
		})
	}
}

func TestParseS3URLNamesOneObject(t *testing.T) {
	for _, tt := range []struct {
		in, bucket, key, err string
	}{
		{"s3://backups/team/backlog.db.zst", "backups", "team/backlog.db.zst", ""},
		{"s3:backups/b.zst", "backups", "b.zst", ""},
		{"s3://backups", "", "", `--to must be an S3 object such as s3://my-bucket/backups/backlog.db.zst, got "s3://backups"`},
		{"s3://backups/dir/", "", "", "--to must be an S3 object"},
		{"https://backups/x", "", "", "--to must be an S3 object"},
		{"s3://Backups/x", "", "", "--to: the bucket must be an S3 bucket name"},
		{"s3://backups/a/../x", "", "", `--to: the key "a/../x" must be names separated by single slashes`},
	} {
		bucket, key, err := ParseS3URL("--to", tt.in)
		switch {
		case tt.err == "" && err != nil:
			t.Errorf("%s: %v", tt.in, err)
		case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
			t.Errorf("%s: err = %v, want %q", tt.in, err, tt.err)
		case bucket != tt.bucket || key != tt.key:
			t.Errorf("%s: %q %q, want %q %q", tt.in, bucket, key, tt.bucket, tt.key)
		}
	}
}
