package s3api

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// chainOver is a chain over the variables env, with home as the home
// directory. Instance metadata is off unless env turns it on, so that no
// test reaches for a link-local address.
func chainOver(home string, env map[string]string) *Chain {
	if _, ok := env["AWS_EC2_METADATA_DISABLED"]; !ok {
		env["AWS_EC2_METADATA_DISABLED"] = "true"
	}
	return NewChain(Env{
		Getenv: func(k string) string { return env[k] },
		Home:   func() (string, error) { return home, nil },
		HTTP:   &http.Client{Timeout: 5 * time.Second},
	})
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestTheChainFindsCredentialsWhereTheAWSToolsDo(t *testing.T) {
	home := t.TempDir()
	write(t, filepath.Join(home, ".aws", "credentials"), `
# keys
[default]
aws_access_key_id = AKIDDEFAULT
aws_secret_access_key = secret-default

[work]
aws_access_key_id=AKIDWORK
aws_secret_access_key=secret-work
aws_session_token = token-work
`)
	write(t, filepath.Join(home, ".aws", "config"), `
[profile fromconfig]
aws_access_key_id = AKIDCONFIG
aws_secret_access_key = secret-config

[profile process]
credential_process = printf '{"Version":1,"AccessKeyId":"AKIDPROC","SecretAccessKey":"secret-proc","SessionToken":"tok","Expiration":"2099-01-01T00:00:00Z"}'

[profile sso]
sso_session = corp
`)
	tests := []struct {
		name    string
		env     map[string]string
		want    Credentials
		wantErr string
	}{
		{"the environment comes first", map[string]string{"AWS_ACCESS_KEY_ID": "AKIDENV", "AWS_SECRET_ACCESS_KEY": "secret-env", "AWS_SESSION_TOKEN": "tok-env", "AWS_PROFILE": "work"},
			Credentials{AccessKeyID: "AKIDENV", SecretAccessKey: "secret-env", SessionToken: "tok-env", Source: "AWS_ACCESS_KEY_ID"}, ""},
		{"half a key pair in the environment is an error", map[string]string{"AWS_ACCESS_KEY_ID": "AKIDENV"},
			Credentials{}, "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set together"},
		{"the default profile of the credentials file", map[string]string{},
			Credentials{AccessKeyID: "AKIDDEFAULT", SecretAccessKey: "secret-default"}, ""},
		{"the profile AWS_PROFILE names", map[string]string{"AWS_PROFILE": "work"},
			Credentials{AccessKeyID: "AKIDWORK", SecretAccessKey: "secret-work", SessionToken: "token-work"}, ""},
		{"a profile of the config file", map[string]string{"AWS_PROFILE": "fromconfig"},
			Credentials{AccessKeyID: "AKIDCONFIG", SecretAccessKey: "secret-config"}, ""},
		{"a profile's credential_process", map[string]string{"AWS_PROFILE": "process"},
			Credentials{AccessKeyID: "AKIDPROC", SecretAccessKey: "secret-proc", SessionToken: "tok", Expires: time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC)}, ""},
		{"an SSO profile says what to do instead", map[string]string{"AWS_PROFILE": "sso"},
			Credentials{}, "assumes a role or signs in with SSO, which backlog does not follow: export its credentials (aws configure export-credentials --format env)"},
		{"a profile that does not exist is an error", map[string]string{"AWS_PROFILE": "nope"},
			Credentials{}, `AWS_PROFILE names the profile "nope", which has no keys in`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := chainOver(home, tt.env).Retrieve(context.Background())
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got.Source = ""
			want := tt.want
			want.Source = ""
			if got != want {
				t.Errorf("got %+v, want %+v", got, want)
			}
		})
	}
}

func TestTheChainAsksTheContainerAndTheInstanceLast(t *testing.T) {
	creds := map[string]string{"AccessKeyId": "AKIDMETA", "SecretAccessKey": "secret-meta", "Token": "tok-meta", "Expiration": "2099-01-01T00:00:00Z"}
	var sawToken string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/container":
			sawToken = r.Header.Get("Authorization")
			json.NewEncoder(w).Encode(creds)
		case r.Method == http.MethodPut && r.URL.Path == "/latest/api/token":
			w.Write([]byte("imds-token"))
		case r.Header.Get("X-Aws-Ec2-Metadata-Token") != "imds-token":
			w.WriteHeader(http.StatusUnauthorized)
		case r.URL.Path == "/latest/meta-data/iam/security-credentials/":
			w.Write([]byte("my-role\n"))
		case r.URL.Path == "/latest/meta-data/iam/security-credentials/my-role":
			json.NewEncoder(w).Encode(map[string]string{"Code": "Success", "AccessKeyId": "AKIDIMDS", "SecretAccessKey": "secret-imds", "Token": "tok-imds", "Expiration": "2099-01-01T00:00:00Z"})
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	defer srv.Close()
	home := t.TempDir() // no ~/.aws

	got, err := chainOver(home, map[string]string{"AWS_CONTAINER_CREDENTIALS_FULL_URI": srv.URL + "/container", "AWS_CONTAINER_AUTHORIZATION_TOKEN": "Bearer x"}).Retrieve(context.Background())
	if err != nil || got.AccessKeyID != "AKIDMETA" || got.SessionToken != "tok-meta" || sawToken != "Bearer x" {
		t.Errorf("container: %+v, %v (token sent %q)", got, err, sawToken)
	}
	got, err = chainOver(home, map[string]string{"AWS_EC2_METADATA_DISABLED": "false", "AWS_EC2_METADATA_SERVICE_ENDPOINT": srv.URL}).Retrieve(context.Background())
	if err != nil || got.AccessKeyID != "AKIDIMDS" || got.SessionToken != "tok-imds" || got.Source != "the EC2 instance role my-role" {
		t.Errorf("instance: %+v, %v", got, err)
	}
	_, err = chainOver(home, map[string]string{}).Retrieve(context.Background())
	if err == nil || !strings.HasPrefix(err.Error(), "no AWS credentials found") {
		t.Errorf("nothing anywhere: %v", err)
	}
}

func TestCredentialsAreKeptUntilTheyAreAboutToExpire(t *testing.T) {
	calls := 0
	expires := time.Now().Add(time.Hour)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		json.NewEncoder(w).Encode(map[string]string{"AccessKeyId": "AKID", "SecretAccessKey": "s", "Expiration": expires.UTC().Format(time.RFC3339)})
	}))
	defer srv.Close()
	c := chainOver(t.TempDir(), map[string]string{"AWS_CONTAINER_CREDENTIALS_FULL_URI": srv.URL})
	for range 3 {
		if _, err := c.Retrieve(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if calls != 1 {
		t.Errorf("asked the endpoint %d times for credentials valid an hour, want 1", calls)
	}
	expires = time.Now().Add(time.Minute) // within five minutes of the end: asked again every time
	c = chainOver(t.TempDir(), map[string]string{"AWS_CONTAINER_CREDENTIALS_FULL_URI": srv.URL})
	calls = 0
	for range 2 {
		if _, err := c.Retrieve(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if calls != 2 {
		t.Errorf("asked %d times for credentials about to expire, want 2", calls)
	}
}
