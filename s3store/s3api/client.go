// Package s3api is the little of S3 a backlog needs: one object read only
// when its ETag changed (GET with If-None-Match) and written only over the
// version it was read at (PUT with If-Match, or If-None-Match: * for the
// first), signed with AWS Signature Version 4, with credentials from the
// AWS chain (credentials.go).
//
// It is written here rather than taken from an SDK so that a process that
// never touches S3 pays nothing for it at start-up: the SDKs compile dozens
// of regular expressions and build tables in package init, which every run
// of the binary, S3 or not, would pay.
package s3api

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"
)

// Config says how to reach a bucket.
type Config struct {
	// Endpoint is the server: https://s3.REGION.amazonaws.com when empty.
	Endpoint string
	Region   string // us-east-1 when empty
	Bucket   string
	// PathStyle addresses the bucket in the path (http://host/bucket/key),
	// as S3-compatible servers want, rather than in the host name
	// (https://bucket.host/key), as AWS prefers.
	PathStyle bool
	// Credentials sign the requests.
	Credentials *Chain
	// CABundle, when set, is a PEM file of certificate authorities to
	// trust beside the system's (AWS_CA_BUNDLE).
	CABundle string
	// HTTP, when set, replaces the client built from the settings above
	// (tests inject faults through it).
	HTTP *http.Client
}

// Client reads and writes the objects of one bucket.
type Client struct {
	cfg      Config
	base     *url.URL
	http     *http.Client
	now      func() time.Time
	endpoint string // for messages: the host and port
}

// New checks the configuration and returns a client; it does no I/O but
// reading CABundle.
func New(cfg Config) (*Client, error) {
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	if cfg.Endpoint == "" {
		cfg.Endpoint = "https://s3." + cfg.Region + ".amazonaws.com"
	}
	base, err := url.Parse(cfg.Endpoint)
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, fmt.Errorf("the S3 endpoint %q is not an http:// or https:// URL", cfg.Endpoint)
	}
	if cfg.Credentials == nil {
		cfg.Credentials = NewChain(Env{})
	}
	hc := cfg.HTTP
	if hc == nil {
		hc, err = httpClient(cfg.CABundle)
		if err != nil {
			return nil, err
		}
	}
	return &Client{cfg: cfg, base: base, http: hc, now: time.Now, endpoint: base.Host}, nil
}

// httpClient is a client whose waits are bounded, so that a server that
// stops answering fails the command instead of hanging it.
func httpClient(caBundle string) (*http.Client, error) {
	tr := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: 60 * time.Second,
		ExpectContinueTimeout: time.Second,
		MaxIdleConnsPerHost:   4,
		IdleConnTimeout:       90 * time.Second,
	}
	if caBundle != "" {
		pem, err := os.ReadFile(caBundle)
		if err != nil {
			return nil, fmt.Errorf("cannot read the certificate authorities in AWS_CA_BUNDLE (%s): %w", caBundle, err)
		}
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("AWS_CA_BUNDLE (%s) holds no PEM certificate", caBundle)
		}
		tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	return &http.Client{Transport: tr}, nil
}

// Endpoint is the server's host and port, for messages.
func (c *Client) Endpoint() string { return c.endpoint }

// Bucket is the bucket the client reads and writes.
func (c *Client) Bucket() string { return c.cfg.Bucket }

// URL is the object's s3:// name, for messages.
func (c *Client) URL(key string) string { return "s3://" + c.cfg.Bucket + "/" + key }

// objectURL is the request URL of key ("" for the bucket itself).
func (c *Client) objectURL(key string) *url.URL {
	u := *c.base
	prefix := strings.TrimSuffix(c.base.Path, "/")
	var path, raw string
	if c.cfg.PathStyle {
		path, raw = prefix+"/"+c.cfg.Bucket, prefix+"/"+escape(c.cfg.Bucket)
	} else {
		u.Host = c.cfg.Bucket + "." + c.base.Host
		path, raw = prefix, prefix
	}
	path += "/"
	raw += "/"
	if key != "" {
		segs := strings.Split(key, "/")
		esc := make([]string, len(segs))
		for i, s := range segs {
			esc[i] = escape(s)
		}
		path += key
		raw += strings.Join(esc, "/")
	}
	u.Path, u.RawPath, u.RawQuery = path, raw, ""
	return &u
}

// Object is a fetched object: its ETag (quoted, as S3 gives it) and its
// content, which the caller must close.
type Object struct {
	ETag string
	Size int64
	Body io.ReadCloser
}

// Get fetches key. With ifNoneMatch set it asks for the content only when
// the ETag differs: an unchanged object is an error for which
// IsNotModified holds. A missing one is an error for which IsNotFound
// holds.
func (c *Client) Get(ctx context.Context, key, ifNoneMatch string) (*Object, error) {
	h := http.Header{}
	if ifNoneMatch != "" {
		h.Set("If-None-Match", ifNoneMatch)
	}
	resp, err := c.do(ctx, http.MethodGet, key, h, nil)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, c.failure(http.MethodGet, key, resp)
	}
	return &Object{ETag: resp.Header.Get("ETag"), Size: resp.ContentLength, Body: resp.Body}, nil
}

// Head returns key's ETag, or an error for which IsNotFound holds.
func (c *Client) Head(ctx context.Context, key string) (string, error) {
	resp, err := c.do(ctx, http.MethodHead, key, nil, nil)
	if err != nil {
		return "", err
	}
	defer drain(resp)
	if resp.StatusCode != http.StatusOK {
		return "", c.failure(http.MethodHead, key, resp)
	}
	return resp.Header.Get("ETag"), nil
}

// Condition is what a Put requires of the object it replaces.
type Condition struct {
	// IfMatch is the ETag the object must still have.
	IfMatch string
	// IfNoneMatch is "*": the object must not exist yet.
	IfNoneMatch string
}

// Put writes body to key when cond holds, and returns the new ETag. When
// it does not hold the error satisfies IsPreconditionFailed and nothing
// was written.
func (c *Client) Put(ctx context.Context, key string, body []byte, contentType string, cond Condition) (string, error) {
	h := http.Header{}
	if cond.IfMatch != "" {
		h.Set("If-Match", cond.IfMatch)
	}
	if cond.IfNoneMatch != "" {
		h.Set("If-None-Match", cond.IfNoneMatch)
	}
	if contentType != "" {
		h.Set("Content-Type", contentType)
	}
	sum := md5.Sum(body)
	h.Set("Content-MD5", base64.StdEncoding.EncodeToString(sum[:]))
	resp, err := c.do(ctx, http.MethodPut, key, h, body)
	if err != nil {
		return "", err
	}
	defer drain(resp)
	if resp.StatusCode != http.StatusOK {
		return "", c.failure(http.MethodPut, key, resp)
	}
	return resp.Header.Get("ETag"), nil
}

// Delete removes key; a missing key is no error.
func (c *Client) Delete(ctx context.Context, key string) error {
	resp, err := c.do(ctx, http.MethodDelete, key, nil, nil)
	if err != nil {
		return err
	}
	defer drain(resp)
	if resp.StatusCode != http.StatusNoContent && resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusNotFound {
		return c.failure(http.MethodDelete, key, resp)
	}
	return nil
}

// CreateBucket makes the bucket; one that this account owns already is no
// error.
func (c *Client) CreateBucket(ctx context.Context) error {
	var body []byte
	if c.cfg.Region != "us-east-1" {
		body = []byte(`<CreateBucketConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><LocationConstraint>` +
			c.cfg.Region + `</LocationConstraint></CreateBucketConfiguration>`)
	}
	resp, err := c.do(ctx, http.MethodPut, "", nil, body)
	if err != nil {
		return err
	}
	defer drain(resp)
	if resp.StatusCode == http.StatusOK {
		return nil
	}
	err = c.failure(http.MethodPut, "", resp)
	var e *Error
	if errors.As(err, &e) && (e.Code == "BucketAlreadyOwnedByYou" || e.Code == "BucketAlreadyExists") {
		return nil
	}
	return err
}

// do sends one signed request.
func (c *Client) do(ctx context.Context, method, key string, h http.Header, body []byte) (*http.Response, error) {
	creds, err := c.cfg.Credentials.Retrieve(ctx)
	if err != nil {
		return nil, &Error{Op: method, Bucket: c.cfg.Bucket, Key: key, Err: err, Credentials: true}
	}
	u := c.objectURL(key)
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return nil, &Error{Op: method, Bucket: c.cfg.Bucket, Key: key, Err: err}
	}
	req.URL = u // keep RawPath exactly as signed
	for k, vs := range h {
		req.Header[k] = vs
	}
	hash := emptySHA256
	if body != nil {
		sum := sha256.Sum256(body)
		hash = hex.EncodeToString(sum[:])
		req.ContentLength = int64(len(body))
	}
	sign(req, creds, c.cfg.Region, hash, c.now())
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, &Error{Op: method, Bucket: c.cfg.Bucket, Key: key, Err: err, Network: true}
	}
	return resp, nil
}

func drain(resp *http.Response) {
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
}

// failure reads S3's error document from a response that is not a
// success.
func (c *Client) failure(method, key string, resp *http.Response) error {
	defer drain(resp)
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	e := &Error{Op: method, Bucket: c.cfg.Bucket, Key: key, Status: resp.StatusCode}
	var doc struct {
		Code    string `xml:"Code"`
		Message string `xml:"Message"`
	}
	if xml.Unmarshal(body, &doc) == nil {
		e.Code, e.Message = doc.Code, strings.TrimSpace(doc.Message)
	}
	return e
}

// errorCode is an error document's code, or status when it has none.
func errorCode(body []byte, status string) string {
	var doc struct {
		Code    string `xml:"Error>Code"`
		Message string `xml:"Error>Message"`
	}
	if xml.Unmarshal(body, &doc) == nil && doc.Code != "" {
		return doc.Code + ": " + doc.Message
	}
	return status
}

// Error is a request S3 refused, or one that never got an answer.
type Error struct {
	Op          string // GET, PUT, ...
	Bucket, Key string
	Status      int    // the HTTP status; 0 when no answer came
	Code        string // S3's error code: NoSuchKey, AccessDenied, ...
	Message     string
	Network     bool // no answer came (Err says why)
	Credentials bool // no credentials could be found (Err says why)
	Err         error
}

func (e *Error) Error() string {
	what := e.Op + " s3://" + e.Bucket + "/" + e.Key
	switch {
	case e.Err != nil:
		return what + ": " + e.Err.Error()
	case e.Code != "":
		return fmt.Sprintf("%s: %d %s: %s", what, e.Status, e.Code, e.Message)
	}
	return fmt.Sprintf("%s: %d %s", what, e.Status, http.StatusText(e.Status))
}

func (e *Error) Unwrap() error { return e.Err }

func statusOf(err error) int {
	var e *Error
	if errors.As(err, &e) {
		return e.Status
	}
	return 0
}

// IsNotFound reports a missing object (or bucket, when Code says so).
func IsNotFound(err error) bool { return statusOf(err) == http.StatusNotFound }

// IsNotModified reports a conditional GET whose object did not change.
func IsNotModified(err error) bool { return statusOf(err) == http.StatusNotModified }

// IsPreconditionFailed reports a conditional PUT refused because the object
// changed (or appeared) since it was read.
func IsPreconditionFailed(err error) bool {
	var e *Error
	if !errors.As(err, &e) {
		return false
	}
	// 409 ConditionalRequestConflict is AWS's answer to two conditional
	// writes racing on one key: the loser reads again, as after a 412.
	return e.Status == http.StatusPreconditionFailed ||
		e.Status == http.StatusConflict && e.Code == "ConditionalRequestConflict"
}

// IsNoSuchBucket reports a bucket that does not exist.
func IsNoSuchBucket(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Code == "NoSuchBucket"
}
