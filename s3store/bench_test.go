package s3store_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/agent-backlog/backlog/engine"
	"github.com/agent-backlog/backlog/s3store/s3test"
	"github.com/agent-backlog/backlog/sqlite"
)

// The benchmarks run against the S3 server the environment names
// (versitygw, see s3test.Real), else gofakes3 in process. Each sizes a
// backlog of 1,000 and of 10,000 tasks, each added by its own command (so
// the journal holds an entry per task, as a backlog grown by hand does),
// with a project, tags, and a note on every tenth.
//
// Targets (issue 17), on loopback: one write below 150 ms on 1,000 tasks
// and 600 ms on 10,000; a read of an unchanged object below 20 ms.

var sizes = []int{1_000, 10_000}

// BenchmarkWrite is one add: a conditional GET that finds the cached copy
// current, the command on a working copy, and the upload.
func BenchmarkWrite(b *testing.B) {
	for _, n := range sizes {
		b.Run(fmt.Sprintf("tasks=%d", n), func(b *testing.B) {
			e, size := benchEngine(b, n)
			ctx := context.Background()
			for i := 0; b.Loop(); i++ {
				c, err := engine.ParseNew([]string{"benchmark", "write", fmt.Sprint(i), "project:bench", "+s3"})
				if err != nil {
					b.Fatal(err)
				}
				if _, err := e.Add(ctx, c); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(size)/float64(n), "object-B/task")
		})
	}
}

// BenchmarkReadUnchanged is a list of the ten most urgent tasks when the
// object has not changed since the last command: a conditional GET that
// S3 answers 304, and the query on the cached copy.
func BenchmarkReadUnchanged(b *testing.B) {
	for _, n := range sizes {
		b.Run(fmt.Sprintf("tasks=%d", n), func(b *testing.B) {
			e, _ := benchEngine(b, n)
			ctx := context.Background()
			for b.Loop() {
				l, err := e.List(ctx, engine.ListOptions{Limit: 10})
				if err != nil {
					b.Fatal(err)
				}
				if len(l.Tasks) != 10 {
					b.Fatalf("listed %d tasks, want 10", len(l.Tasks))
				}
			}
		})
	}
}

// benchEngine uploads the seed backlog of n tasks under a fresh key and
// returns an engine over it, its cache warm, and the object's size.
func benchEngine(b *testing.B, n int) (*engine.Engine, int64) {
	b.Helper()
	srv := benchServer(b)
	seed := seedBacklog(b, n)
	st := open(b, srv, s3test.Key("bench"), b.TempDir())
	b.Cleanup(func() { st.Close() })
	size, err := st.Replace(context.Background(), seed)
	if err != nil {
		b.Fatal(err)
	}
	e := engine.New(st, engine.Options{Agent: "bench"})
	if _, err := e.Count(context.Background(), ""); err != nil { // fetch into the cache
		b.Fatal(err)
	}
	return e, size
}

// benchServer is the environment's S3 server, else gofakes3.
func benchServer(b *testing.B) *s3test.Server {
	if os.Getenv(s3test.EnvEndpoint) != "" {
		return s3test.Real(b)
	}
	return s3test.Fake(b)
}

// seeds are the seed backlogs built in this run, by size, in seedDir.
var (
	seeds   sync.Map // n -> path
	seedDir string
)

// tempDirs are removed when the tests end.
var tempDirs []string

func TestMain(m *testing.M) {
	code := m.Run()
	for _, d := range append(tempDirs, seedDir) {
		if d != "" {
			os.RemoveAll(d)
		}
	}
	os.Exit(code)
}

// seedBacklog builds (once per run, in the benchmark's temporary
// directory) a SQLite backlog of n tasks, each added by a command.
func seedBacklog(b *testing.B, n int) string {
	b.Helper()
	if p, ok := seeds.Load(n); ok {
		return p.(string)
	}
	if seedDir == "" {
		dir, err := os.MkdirTemp("", "backlog-s3-bench-")
		if err != nil {
			b.Fatal(err)
		}
		seedDir = dir
	}
	path := filepath.Join(seedDir, fmt.Sprintf("seed-%d.db", n))
	if err := buildSeed(path, n); err != nil {
		b.Fatal(err)
	}
	seeds.Store(n, path)
	return path
}

func buildSeed(path string, n int) error {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, path)
	if err != nil {
		return err
	}
	e := engine.New(st, engine.Options{Agent: "seed"})
	projects := []string{"web", "api", "api.auth", "infra", "docs", "mobile.ios", "mobile.android"}
	tags := []string{"bug", "feature", "chore", "perf", "security", "ux"}
	for i := range n {
		words := []string{"Task", fmt.Sprint(i), "about", strings.Repeat("something ", 1+i%5) + "to do",
			"project:" + projects[i%len(projects)], "+" + tags[i%len(tags)], "priority:" + []string{"H", "M", "L"}[i%3]}
		if i%4 == 0 {
			words = append(words, "due:2027-0"+fmt.Sprint(1+i%9)+"-1"+fmt.Sprint(i%9))
		}
		c, err := engine.ParseNew(words)
		if err != nil {
			return err
		}
		r, err := e.Add(ctx, c)
		if err != nil {
			return err
		}
		if i%10 == 0 {
			if _, err := e.Annotate(ctx, fmt.Sprint(r.Task.ID), "a note on why this matters, and what was tried first"); err != nil {
				return err
			}
		}
	}
	return st.Close()
}
