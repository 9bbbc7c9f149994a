package config

import (
	"net/url"
	"path/filepath"
	"strings"

	backlog "github.com/agent-backlog/backlog"
)

// S3 says where in S3 a backlog is kept (BACKLOG_BACKEND=s3), or where a
// backup goes, and how to reach it.
type S3 struct {
	Bucket string // BACKLOG_S3_BUCKET
	// Key is the object: PREFIX/backlog.db.zst, or
	// PREFIX/backlog-NAMESPACE.db.zst in a namespace (as SQLite names its
	// files, so that no two namespaces share one); or the key a backup
	// URL names.
	Key     string
	KeyFrom string
	// Named is true when the user named the object (a backup, a migrate
	// source): reading it when it does not exist is then an error, where
	// a backlog derived from the settings reads as empty until its first
	// write.
	Named bool

	Region    string // BACKLOG_S3_REGION, else AWS_REGION, AWS_DEFAULT_REGION, us-east-1
	Endpoint  string // BACKLOG_S3_ENDPOINT as a URL; "" for AWS
	PathStyle bool   // BACKLOG_S3_PATH_STYLE; by default true with an endpoint
	// Cache is the directory under which each object gets its cache:
	// BACKLOG_S3_CACHE, else $XDG_CACHE_HOME/backlog/s3, else
	// ~/.cache/backlog/s3.
	Cache string
}

// URL is the object's s3:// name.
func (s S3) URL() string { return "s3://" + s.Bucket + "/" + s.Key }

// ResolveS3 reads how to reach S3: the region, the endpoint and its
// addressing, and the cache. It is what a backup of any backlog needs; the
// bucket and key come from elsewhere (BACKLOG_S3_BUCKET, or the URL the
// user gave).
func ResolveS3(src Source) (S3, error) {
	env := func(k string) string { return strings.TrimSpace(src.Getenv(k)) }
	var s S3
	s.Region = firstSet(env("BACKLOG_S3_REGION"), env("AWS_REGION"), env("AWS_DEFAULT_REGION"), "us-east-1")
	if !validRegion(s.Region) {
		return S3{}, backlog.Invalidf("BACKLOG_S3_REGION must be an S3 region such as us-east-1 or eu-west-3, got %q", s.Region)
	}
	if e := env("BACKLOG_S3_ENDPOINT"); e != "" {
		u, err := endpointURL(e)
		if err != nil {
			return S3{}, err
		}
		s.Endpoint = u
	}
	s.PathStyle = s.Endpoint != ""
	if v := env("BACKLOG_S3_PATH_STYLE"); v != "" {
		b, err := envBool(src.Getenv, "BACKLOG_S3_PATH_STYLE")
		if err != nil {
			return S3{}, err
		}
		s.PathStyle = b
	}
	switch {
	case env("BACKLOG_S3_CACHE") != "":
		s.Cache = abs(env("BACKLOG_S3_CACHE"))
	case filepath.IsAbs(env("XDG_CACHE_HOME")):
		s.Cache = filepath.Join(env("XDG_CACHE_HOME"), "backlog", "s3")
	default:
		home, err := src.Home()
		if err != nil || home == "" {
			return S3{}, backlog.Invalidf("cannot find the home directory for the S3 cache: set HOME, XDG_CACHE_HOME or BACKLOG_S3_CACHE")
		}
		s.Cache = filepath.Join(home, ".cache", "backlog", "s3")
	}
	return s, nil
}

// resolveS3Backend fills in c.S3 for BACKLOG_BACKEND=s3: the connection,
// the bucket, and the key from the prefix (--data or TASKDATA) and the
// namespace, which c holds already.
func (c *Config) resolveS3Backend(src Source, dataFlag string) error {
	s, err := ResolveS3(src)
	if err != nil {
		return err
	}
	env := func(k string) string { return strings.TrimSpace(src.Getenv(k)) }
	s.Bucket = env("BACKLOG_S3_BUCKET")
	if s.Bucket == "" {
		return backlog.Invalidf("BACKLOG_BACKEND=s3 needs a bucket: set BACKLOG_S3_BUCKET")
	}
	if err := ValidBucket(s.Bucket); err != nil {
		return backlog.Invalidf("BACKLOG_S3_BUCKET %s", err.Error())
	}
	prefix, from := env("TASKDATA"), "TASKDATA (the key prefix) and "
	if dataFlag != "" {
		prefix, from = dataFlag, "--data (the key prefix) and "
	}
	if prefix == "" {
		from = "BACKLOG_S3_BUCKET (no prefix: TASKDATA is unset) and "
	}
	p, ok := cleanPrefix(prefix)
	if !ok {
		name := "TASKDATA"
		if dataFlag != "" {
			name = "--data"
		}
		return backlog.Invalidf("%s must be a key prefix such as team/backlog, of names without \".\" or \"..\" alone, control characters or a backslash, with BACKLOG_BACKEND=s3; got %q", name, prefix)
	}
	name := "backlog.db.zst"
	if c.Namespace != "" {
		name = "backlog-" + c.Namespace + ".db.zst"
		from += "the namespace"
	} else {
		from += "no namespace"
	}
	s.Key = name
	if p != "" {
		s.Key = p + "/" + name
	}
	s.KeyFrom = from
	c.S3 = s
	return nil
}

// ParseS3URL reads s3://BUCKET/KEY (or s3:BUCKET/KEY), as backup, restore
// and migrate name an object; flag names the option, for the sentence.
func ParseS3URL(flag, v string) (bucket, key string, err error) {
	rest, ok := strings.CutPrefix(v, "s3://")
	if !ok {
		rest, ok = strings.CutPrefix(v, "s3:")
	}
	bucket, key, _ = strings.Cut(rest, "/")
	if !ok || bucket == "" || key == "" || strings.HasSuffix(key, "/") {
		return "", "", backlog.Invalidf("%s must be an S3 object such as s3://my-bucket/backups/backlog.db.zst, got %q", flag, v)
	}
	if err := ValidBucket(bucket); err != nil {
		return "", "", backlog.Invalidf("%s: the bucket %s", flag, err.Error())
	}
	if k, ok := cleanPrefix(key); !ok || k != key {
		return "", "", backlog.Invalidf("%s: the key %q must be names separated by single slashes, without \".\" or \"..\" alone, control characters or a backslash", flag, key)
	}
	return bucket, key, nil
}

// ValidBucket checks an S3 bucket name: 3 to 63 of a-z 0-9 . -, starting
// and ending with a letter or digit. The error reads after "the bucket".
func ValidBucket(b string) error {
	ok := len(b) >= 3 && len(b) <= 63 && isBucketEnd(b[0]) && isBucketEnd(b[len(b)-1])
	for i := 0; ok && i < len(b); i++ {
		ok = isBucketEnd(b[i]) || b[i] == '.' || b[i] == '-'
	}
	if !ok {
		return backlog.Invalidf("must be an S3 bucket name: 3 to 63 lower-case letters, digits, '.' or '-', starting and ending with a letter or digit; got %q", b)
	}
	return nil
}

func isBucketEnd(c byte) bool { return 'a' <= c && c <= 'z' || '0' <= c && c <= '9' }

// cleanPrefix trims the slashes around a key prefix and checks its names.
func cleanPrefix(p string) (string, bool) {
	p = strings.Trim(p, "/")
	if p == "" {
		return "", true
	}
	if len(p) > 512 {
		return "", false
	}
	for _, name := range strings.Split(p, "/") {
		if name == "" || name == "." || name == ".." || strings.ContainsAny(name, "\\") {
			return "", false
		}
		for _, r := range name {
			if r < 0x20 || r == 0x7f {
				return "", false
			}
		}
	}
	return p, true
}

// endpointURL reads BACKLOG_S3_ENDPOINT: an http:// or https:// URL, or a
// host[:port], which means https.
func endpointURL(v string) (string, error) {
	raw := v
	if !strings.Contains(v, "://") {
		raw = "https://" + v
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return "", backlog.Invalidf("BACKLOG_S3_ENDPOINT must be the server's URL such as https://s3.example.com or http://127.0.0.1:7070, got %q", v)
	}
	return strings.TrimSuffix(u.String(), "/"), nil
}

func validRegion(r string) bool {
	if r == "" || len(r) > 40 {
		return false
	}
	for i := 0; i < len(r); i++ {
		c := r[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

func firstSet(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}
