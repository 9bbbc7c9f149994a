package s3api

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"
)

// Credentials are an access key pair, with the session token that
// temporary credentials carry.
type Credentials struct {
	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string
	// Expires is when temporary credentials end; zero for keys that do
	// not.
	Expires time.Time
	// Source names where they were found, for messages.
	Source string
}

// Env is what the credential chain reads: the environment, the home
// directory (for ~/.aws), and an HTTP client for the metadata endpoints of
// containers and instances.
type Env struct {
	Getenv func(string) string
	Home   func() (string, error)
	HTTP   *http.Client
}

// errNoCredentials ends the chain when no step found any.
var errNoCredentials = errors.New("no AWS credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE with a profile in ~/.aws/credentials")

// Chain finds credentials as the AWS SDKs and CLI do, first match wins,
// and keeps them until five minutes before they expire:
//
//  1. AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN);
//  2. the profile AWS_PROFILE names (else "default") in the shared
//     credentials file (AWS_SHARED_CREDENTIALS_FILE, ~/.aws/credentials),
//     then in the shared config file (AWS_CONFIG_FILE, ~/.aws/config):
//     static keys, or a credential_process;
//  3. a web identity token (AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN,
//     as on EKS) exchanged with STS;
//  4. a container's credentials endpoint
//     (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI or _FULL_URI, as on ECS);
//  5. the EC2 instance's role through IMDSv2, unless
//     AWS_EC2_METADATA_DISABLED=true.
//
// Profiles that assume a role or sign in with SSO are not followed: export
// their credentials into the environment (aws configure
// export-credentials --format env).
type Chain struct {
	env Env
	mu  sync.Mutex
	cur Credentials
}

// NewChain returns the chain over env.
func NewChain(env Env) *Chain {
	if env.Getenv == nil {
		env.Getenv = os.Getenv
	}
	if env.Home == nil {
		env.Home = os.UserHomeDir
	}
	if env.HTTP == nil {
		env.HTTP = &http.Client{Timeout: 5 * time.Second}
	}
	return &Chain{env: env}
}

// Static returns a chain that always answers c.
func Static(c Credentials) *Chain {
	ch := &Chain{cur: c}
	if ch.cur.Source == "" {
		ch.cur.Source = "given keys"
	}
	return ch
}

// Retrieve returns the current credentials, looking them up again when
// none are held or they expire within five minutes.
func (c *Chain) Retrieve(ctx context.Context) (Credentials, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cur.AccessKeyID != "" && (c.cur.Expires.IsZero() || time.Until(c.cur.Expires) > 5*time.Minute) {
		return c.cur, nil
	}
	if c.env.Getenv == nil { // a Static chain
		return c.cur, nil
	}
	creds, err := c.lookup(ctx)
	if err != nil {
		return Credentials{}, err
	}
	c.cur = creds
	return creds, nil
}

func (c *Chain) lookup(ctx context.Context) (Credentials, error) {
	get := func(k string) string { return strings.TrimSpace(c.env.Getenv(k)) }
	if id, secret := firstOf(get("AWS_ACCESS_KEY_ID"), get("AWS_ACCESS_KEY")), firstOf(get("AWS_SECRET_ACCESS_KEY"), get("AWS_SECRET_KEY")); id != "" || secret != "" {
		if id == "" || secret == "" {
			return Credentials{}, errors.New("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set together")
		}
		return Credentials{AccessKeyID: id, SecretAccessKey: secret, SessionToken: get("AWS_SESSION_TOKEN"), Source: "AWS_ACCESS_KEY_ID"}, nil
	}
	if creds, ok, err := c.profile(ctx); ok || err != nil {
		return creds, err
	}
	if tokenFile, role := get("AWS_WEB_IDENTITY_TOKEN_FILE"), get("AWS_ROLE_ARN"); tokenFile != "" && role != "" {
		return c.webIdentity(ctx, tokenFile, role)
	}
	if rel, full := get("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"), get("AWS_CONTAINER_CREDENTIALS_FULL_URI"); rel != "" || full != "" {
		return c.container(ctx, rel, full)
	}
	if !strings.EqualFold(get("AWS_EC2_METADATA_DISABLED"), "true") {
		creds, err := c.instance(ctx)
		if err == nil {
			return creds, nil
		}
	}
	return Credentials{}, errNoCredentials
}

func firstOf(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

// profile reads the profile from the shared files; ok is false when
// neither has it and AWS_PROFILE did not name it.
func (c *Chain) profile(ctx context.Context) (Credentials, bool, error) {
	name := firstOf(strings.TrimSpace(c.env.Getenv("AWS_PROFILE")), strings.TrimSpace(c.env.Getenv("AWS_DEFAULT_PROFILE")))
	named := name != ""
	if !named {
		name = "default"
	}
	home, _ := c.env.Home()
	credFile := firstOf(strings.TrimSpace(c.env.Getenv("AWS_SHARED_CREDENTIALS_FILE")), filepath.Join(home, ".aws", "credentials"))
	confFile := firstOf(strings.TrimSpace(c.env.Getenv("AWS_CONFIG_FILE")), filepath.Join(home, ".aws", "config"))
	section := func(file, sec string) (map[string]string, error) {
		if home == "" && !filepath.IsAbs(file) {
			return nil, nil
		}
		return readINISection(file, sec)
	}
	confSection := "profile " + name
	if name == "default" {
		confSection = "default"
	}
	for _, src := range []struct{ file, sec string }{{credFile, name}, {confFile, confSection}} {
		kv, err := section(src.file, src.sec)
		if err != nil {
			return Credentials{}, true, fmt.Errorf("cannot read %s: %w", src.file, err)
		}
		if kv == nil {
			continue
		}
		where := fmt.Sprintf("%s [%s]", src.file, src.sec)
		id, secret := kv["aws_access_key_id"], kv["aws_secret_access_key"]
		switch {
		case id != "" && secret != "":
			return Credentials{AccessKeyID: id, SecretAccessKey: secret, SessionToken: kv["aws_session_token"], Source: where}, true, nil
		case id != "" || secret != "":
			return Credentials{}, true, fmt.Errorf("%s has only one of aws_access_key_id and aws_secret_access_key", where)
		case kv["credential_process"] != "":
			creds, err := credentialProcess(ctx, kv["credential_process"])
			if err != nil {
				return Credentials{}, true, fmt.Errorf("the credential_process of %s: %w", where, err)
			}
			creds.Source = where
			return creds, true, nil
		case kv["role_arn"] != "" || kv["sso_session"] != "" || kv["sso_start_url"] != "":
			return Credentials{}, true, fmt.Errorf("%s assumes a role or signs in with SSO, which backlog does not follow: export its credentials (aws configure export-credentials --format env)", where)
		}
	}
	if named {
		return Credentials{}, true, fmt.Errorf("AWS_PROFILE names the profile %q, which has no keys in %s or %s", name, credFile, confFile)
	}
	return Credentials{}, false, nil
}

// readINISection returns the keys of one [section] of an AWS ini file; nil
// when the file or the section does not exist.
func readINISection(path, section string) (map[string]string, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var kv map[string]string
	in := false
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || line[0] == '#' || line[0] == ';':
			continue
		case line[0] == '[' && strings.HasSuffix(line, "]"):
			name := strings.Join(strings.Fields(line[1:len(line)-1]), " ")
			in = name == section
			if in && kv == nil {
				kv = map[string]string{}
			}
			continue
		}
		if !in {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if ok {
			kv[strings.ToLower(strings.TrimSpace(k))] = strings.TrimSpace(v)
		}
	}
	return kv, sc.Err()
}

// processOutput is what a credential_process prints, and what the
// container endpoint answers (which names the token Token).
type processOutput struct {
	AccessKeyID     string `json:"AccessKeyId"`
	SecretAccessKey string `json:"SecretAccessKey"`
	SessionToken    string `json:"SessionToken"`
	Token           string `json:"Token"`
	Expiration      string `json:"Expiration"`
}

func (p processOutput) credentials(source string) (Credentials, error) {
	if p.AccessKeyID == "" || p.SecretAccessKey == "" {
		return Credentials{}, errors.New("the answer has no AccessKeyId and SecretAccessKey")
	}
	c := Credentials{AccessKeyID: p.AccessKeyID, SecretAccessKey: p.SecretAccessKey,
		SessionToken: firstOf(p.SessionToken, p.Token), Source: source}
	if p.Expiration != "" {
		t, err := time.Parse(time.RFC3339, p.Expiration)
		if err != nil {
			return Credentials{}, fmt.Errorf("the answer's Expiration %q is not an RFC 3339 time", p.Expiration)
		}
		c.Expires = t
	}
	return c, nil
}

// credentialProcess runs a profile's credential_process through the shell.
func credentialProcess(ctx context.Context, command string) (Credentials, error) {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	var cmd *exec.Cmd
	if runtime.GOOS == "windows" {
		cmd = exec.CommandContext(ctx, "cmd.exe", "/C", command)
	} else {
		cmd = exec.CommandContext(ctx, "sh", "-c", command)
	}
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return Credentials{}, err
	}
	var p processOutput
	if err := json.Unmarshal(out, &p); err != nil {
		return Credentials{}, fmt.Errorf("its output is not the JSON AWS expects: %w", err)
	}
	return p.credentials("credential_process")
}

// getJSON fetches a metadata endpoint's JSON answer into v.
func (c *Chain) getJSON(ctx context.Context, method, u string, header http.Header, v any) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, u, nil)
	if err != nil {
		return nil, err
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	resp, err := c.env.HTTP.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s %s answered %s", method, u, resp.Status)
	}
	if v != nil {
		if err := json.Unmarshal(body, v); err != nil {
			return nil, fmt.Errorf("%s %s: %w", method, u, err)
		}
	}
	return body, nil
}

// container asks the container's credentials endpoint.
func (c *Chain) container(ctx context.Context, rel, full string) (Credentials, error) {
	u := full
	if rel != "" {
		u = "http://169.254.170.2" + rel
	}
	h := http.Header{}
	token := strings.TrimSpace(c.env.Getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN"))
	if f := strings.TrimSpace(c.env.Getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")); f != "" {
		b, err := os.ReadFile(f)
		if err != nil {
			return Credentials{}, fmt.Errorf("cannot read AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: %w", err)
		}
		token = strings.TrimSpace(string(b))
	}
	if token != "" {
		h.Set("Authorization", token)
	}
	var p processOutput
	if _, err := c.getJSON(ctx, http.MethodGet, u, h, &p); err != nil {
		return Credentials{}, fmt.Errorf("the container's credentials endpoint: %w", err)
	}
	return p.credentials("the container's credentials endpoint")
}

// instance asks the EC2 instance metadata service (IMDSv2) for the
// instance role's credentials.
func (c *Chain) instance(ctx context.Context) (Credentials, error) {
	base := firstOf(strings.TrimSpace(c.env.Getenv("AWS_EC2_METADATA_SERVICE_ENDPOINT")), "http://169.254.169.254")
	base = strings.TrimSuffix(base, "/")
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	token, err := c.getJSON(ctx, http.MethodPut, base+"/latest/api/token",
		http.Header{"X-Aws-Ec2-Metadata-Token-Ttl-Seconds": {"21600"}}, nil)
	if err != nil {
		return Credentials{}, err
	}
	h := http.Header{"X-Aws-Ec2-Metadata-Token": {strings.TrimSpace(string(token))}}
	roles, err := c.getJSON(ctx, http.MethodGet, base+"/latest/meta-data/iam/security-credentials/", h, nil)
	if err != nil {
		return Credentials{}, err
	}
	role := strings.TrimSpace(strings.SplitN(string(roles), "\n", 2)[0])
	if role == "" {
		return Credentials{}, errors.New("the instance has no role")
	}
	var p struct {
		processOutput
		Code string `json:"Code"`
	}
	if _, err := c.getJSON(ctx, http.MethodGet, base+"/latest/meta-data/iam/security-credentials/"+url.PathEscape(role), h, &p); err != nil {
		return Credentials{}, err
	}
	if p.Code != "" && p.Code != "Success" {
		return Credentials{}, fmt.Errorf("the instance metadata service answered %s", p.Code)
	}
	return p.credentials("the EC2 instance role " + role)
}

// webIdentity exchanges a web identity token for a role's credentials with
// STS (AssumeRoleWithWebIdentity, which needs no signature).
func (c *Chain) webIdentity(ctx context.Context, tokenFile, role string) (Credentials, error) {
	token, err := os.ReadFile(tokenFile)
	if err != nil {
		return Credentials{}, fmt.Errorf("cannot read AWS_WEB_IDENTITY_TOKEN_FILE: %w", err)
	}
	session := firstOf(strings.TrimSpace(c.env.Getenv("AWS_ROLE_SESSION_NAME")), "backlog")
	region := firstOf(strings.TrimSpace(c.env.Getenv("AWS_REGION")), strings.TrimSpace(c.env.Getenv("AWS_DEFAULT_REGION")), "us-east-1")
	endpoint := firstOf(strings.TrimSpace(c.env.Getenv("AWS_ENDPOINT_URL_STS")), "https://sts."+region+".amazonaws.com")
	q := url.Values{"Action": {"AssumeRoleWithWebIdentity"}, "Version": {"2011-06-15"},
		"RoleArn": {role}, "RoleSessionName": {session}, "WebIdentityToken": {strings.TrimSpace(string(token))}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(endpoint, "/")+"/", strings.NewReader(q.Encode()))
	if err != nil {
		return Credentials{}, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := c.env.HTTP.Do(req)
	if err != nil {
		return Credentials{}, fmt.Errorf("STS: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return Credentials{}, fmt.Errorf("STS: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return Credentials{}, fmt.Errorf("STS refused the web identity token for %s: %s", role, errorCode(body, resp.Status))
	}
	var out struct {
		Result struct {
			Credentials struct {
				AccessKeyID     string `xml:"AccessKeyId"`
				SecretAccessKey string `xml:"SecretAccessKey"`
				SessionToken    string `xml:"SessionToken"`
				Expiration      string `xml:"Expiration"`
			} `xml:"Credentials"`
		} `xml:"AssumeRoleWithWebIdentityResult"`
	}
	if err := xml.Unmarshal(body, &out); err != nil {
		return Credentials{}, fmt.Errorf("STS: %w", err)
	}
	cr := out.Result.Credentials
	return processOutput{AccessKeyID: cr.AccessKeyID, SecretAccessKey: cr.SecretAccessKey,
		SessionToken: cr.SessionToken, Expiration: cr.Expiration}.credentials("the web identity role " + role)
}
