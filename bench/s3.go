package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/agent-backlog/backlog/engine"
	"github.com/agent-backlog/backlog/s3store"
	"github.com/agent-backlog/backlog/s3store/s3api"
	"github.com/agent-backlog/backlog/sqlite"
)

// The S3 section (issue 17): a backlog of 1,000 and of 10,000 tasks kept
// in an S3-compatible server on loopback, versitygw, and measured as one
// machine uses it: one write (the conditional fetch that finds the cache
// current, the command, the conditional upload), a read of an unchanged
// object (a conditional fetch answered 304, the query on the cache), a
// first read on a new machine (the whole object fetched), each in process
// and as a whole `backlog` process; and the object's size per task.
//
// The server is the one BACKLOG_TEST_S3_ENDPOINT names (with
// BACKLOG_TEST_S3_ACCESS_KEY and _SECRET_KEY), else a versitygw this
// command starts: BACKLOG_TEST_VERSITYGW, or the one .ci/run installs.

var s3Flag = flag.Bool("s3", false, "only the S3 backend figures (1,000 and 10,000 tasks on a versitygw on loopback)")

// runS3 is `bench -s3`.
func runS3(_, runs int, keep string) error {
	ctx := context.Background()
	dir := keep
	if dir == "" {
		var err error
		if dir, err = os.MkdirTemp("", "backlog-bench-s3-"); err != nil {
			return err
		}
		defer os.RemoveAll(dir)
	}
	endpoint, access, secret, stop, err := s3Server(dir)
	if err != nil {
		return err
	}
	defer stop()
	creds := s3api.Static(s3api.Credentials{AccessKeyID: access, SecretAccessKey: secret})
	client, err := s3api.New(s3api.Config{Endpoint: endpoint, Bucket: "bench", PathStyle: true, Credentials: creds})
	if err != nil {
		return err
	}
	if err := client.CreateBucket(ctx); err != nil {
		return err
	}
	bin, err := buildCLI(dir)
	if err != nil {
		return err
	}

	var figs []figure
	add := func(name string, d, target time.Duration) {
		figs = append(figs, figure{name, float64(d) / 1e6, "ms", float64(target) / 1e6})
	}
	var sizes []string
	for _, n := range []int{1_000, 10_000} {
		fmt.Printf("building a backlog of %d tasks ...\n", n)
		seed := filepath.Join(dir, fmt.Sprintf("seed-%d.db", n))
		st, err := sqlite.Open(ctx, seed)
		if err != nil {
			return err
		}
		err = fill(ctx, engine.New(st, engine.Options{Agent: "bench"}), n)
		if cerr := st.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
		key := fmt.Sprintf("n%d/backlog.db.zst", n)
		open := func(cache string) (*s3store.Store, error) {
			return s3store.Open(s3store.Options{Client: client, Key: key, Cache: cache})
		}
		s, err := open(filepath.Join(dir, fmt.Sprintf("cache-%d", n)))
		if err != nil {
			return err
		}
		size, err := s.Replace(ctx, seed)
		if err != nil {
			return err
		}
		e := engine.New(s, engine.Options{Agent: "bench"})
		if _, err := e.Count(ctx, ""); err != nil { // fetch it into the cache
			return err
		}

		var writes, reads, cold []time.Duration
		for i := range runs {
			c, _ := engine.ParseNew([]string{"bench", "write", fmt.Sprint(i), "project:bench"})
			t0 := time.Now()
			if _, err := e.Add(ctx, c); err != nil {
				return err
			}
			writes = append(writes, time.Since(t0))
			t0 = time.Now()
			if _, err := e.List(ctx, engine.ListOptions{Limit: 10}); err != nil {
				return err
			}
			reads = append(reads, time.Since(t0))

			fresh, err := open(filepath.Join(dir, fmt.Sprintf("cold-%d-%d", n, i)))
			if err != nil {
				return err
			}
			t0 = time.Now()
			_, err = engine.New(fresh, engine.Options{Agent: "bench"}).List(ctx, engine.ListOptions{Limit: 10})
			cold = append(cold, time.Since(t0))
			fresh.Close()
			if err != nil {
				return err
			}
		}
		s.Close()
		target := 150 * time.Millisecond
		if n > 1_000 {
			target = 600 * time.Millisecond
		}
		add(fmt.Sprintf("write, %d tasks (in process)", n), median(writes), target)
		add(fmt.Sprintf("read, unchanged ETag, %d tasks (in process)", n), median(reads), 20*time.Millisecond)
		add(fmt.Sprintf("first read on a new machine, %d tasks", n), median(cold), target)

		// The same as whole processes, as an agent runs them.
		env := append(os.Environ(),
			"BACKLOG_BACKEND=s3", "BACKLOG_S3_BUCKET=bench", "BACKLOG_S3_ENDPOINT="+endpoint,
			"TASKDATA="+fmt.Sprintf("n%d", n), "BACKLOG_NAMESPACE=", "BACKLOG_S3_CACHE="+filepath.Join(dir, "cli-cache"),
			"AWS_ACCESS_KEY_ID="+access, "AWS_SECRET_ACCESS_KEY="+secret, "AWS_SESSION_TOKEN=", "AWS_CA_BUNDLE=",
			"AWS_EC2_METADATA_DISABLED=true", "BACKLOG_AGENT_ID=bench")
		cli := func(args ...string) (time.Duration, error) {
			cmd := exec.Command(bin, args...)
			cmd.Env = env
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			t0 := time.Now()
			err := cmd.Run()
			if err != nil {
				return 0, fmt.Errorf("backlog %v: %v: %s", args, err, stderr.String())
			}
			return time.Since(t0), nil
		}
		if _, err := cli("count"); err != nil { // the CLI's cache
			return err
		}
		var cliWrites, cliReads []time.Duration
		for i := range runs {
			d, err := cli("add", "bench", "cli", fmt.Sprint(i))
			if err != nil {
				return err
			}
			cliWrites = append(cliWrites, d)
			if d, err = cli("list", "--limit", "10"); err != nil {
				return err
			}
			cliReads = append(cliReads, d)
		}
		add(fmt.Sprintf("backlog add, %d tasks (a process)", n), median(cliWrites), target)
		add(fmt.Sprintf("backlog list, unchanged, %d tasks (a process)", n), median(cliReads), 20*time.Millisecond)
		sizes = append(sizes, fmt.Sprintf("object of %d tasks: %.0f KB, %.0f bytes per task", n, float64(size)/1024, float64(size)/float64(n)))
	}
	// What a process costs here before it touches any store.
	var base []time.Duration
	if err := os.MkdirAll(filepath.Join(dir, "empty"), 0o700); err != nil {
		return err
	}
	for range runs {
		cmd := exec.Command(bin, "list")
		cmd.Env = append(os.Environ(), "BACKLOG_BACKEND=sqlite", "TASKDATA="+filepath.Join(dir, "empty"), "BACKLOG_NAMESPACE=")
		t0 := time.Now()
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("backlog list on SQLite: %v: %s", err, out)
		}
		base = append(base, time.Since(t0))
	}
	add("backlog list, empty SQLite backlog (a process, to compare)", median(base), 20*time.Millisecond)
	fmt.Println()
	printFigures(figs)
	for _, s := range sizes {
		fmt.Println(s)
	}
	return nil
}

// s3Server is the S3 server to measure against: the one the environment
// names, or a versitygw started here (stop ends it).
func s3Server(dir string) (endpoint, access, secret string, stop func(), err error) {
	if e := os.Getenv("BACKLOG_TEST_S3_ENDPOINT"); e != "" {
		return e, os.Getenv("BACKLOG_TEST_S3_ACCESS_KEY"), os.Getenv("BACKLOG_TEST_S3_SECRET_KEY"), func() {}, nil
	}
	bin := os.Getenv("BACKLOG_TEST_VERSITYGW")
	if bin == "" {
		cache := os.Getenv("XDG_CACHE_HOME")
		if cache == "" {
			home, _ := os.UserHomeDir()
			cache = filepath.Join(home, ".cache")
		}
		bin = filepath.Join(cache, "backlog-ci", "versitygw", "versitygw")
	}
	if _, err := os.Stat(bin); err != nil {
		if bin, err = exec.LookPath("versitygw"); err != nil {
			return "", "", "", nil, fmt.Errorf("no S3 server: set BACKLOG_TEST_S3_ENDPOINT, or install versitygw (go install github.com/versity/versitygw/cmd/versitygw@v1.8.0)")
		}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", "", "", nil, err
	}
	addr := l.Addr().String()
	l.Close()
	data := filepath.Join(dir, "versitygw")
	if err := os.MkdirAll(data, 0o700); err != nil {
		return "", "", "", nil, err
	}
	access, secret = "bench-access", "bench-secret"
	cmd := exec.Command(bin, "--port", addr, "--access", access, "--secret", secret, "posix", data)
	if err := cmd.Start(); err != nil {
		return "", "", "", nil, err
	}
	stop = func() { cmd.Process.Kill(); cmd.Wait() }
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond); err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			stop()
			return "", "", "", nil, fmt.Errorf("versitygw did not listen on %s", addr)
		}
	}
	fmt.Printf("versitygw on %s (%s)\n", addr, bin)
	return "http://" + addr, access, secret, stop, nil
}
