package main

// The claimers section (issue 19): many agents on one PostgreSQL backlog.
// Claimers spread over a few `backlog serve --http` processes, each claimer
// its own MCP session (as an agent on another machine would be), each
// looping task_claim then task_done until nothing is left. It measures
// claims per second over the whole run and the latency of task_claim, and
// checks that every task was claimed exactly once.

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

var (
	claimersFlag = flag.Bool("claimers", false, "only the PostgreSQL claimers figures (issue 19)")
	claimersN    = flag.Int("claimers-n", 100, "with -claimers: concurrent claimers")
	serversN     = flag.Int("servers", 4, "with -claimers: backlog serve --http processes the claimers are spread over")
	claimTasks   = flag.Int("claim-tasks", 10_000, "with -claimers: tasks in the backlog")
	postgresFlag = flag.String("postgres", "", "with -claimers: a PostgreSQL `URL` whose server may get a database backlog_bench (default: BACKLOG_TEST_POSTGRES, else postgres://postgres@127.0.0.1:5432/test)")
)

// benchDatabase is the database the claimers' backlog lives in, made afresh
// on each run and dropped after it, so no test database is touched.
const benchDatabase = "backlog_bench"

func runClaimers(_, _ int, _ string) error {
	ctx := context.Background()
	admin := *postgresFlag
	if admin == "" {
		admin = os.Getenv("BACKLOG_TEST_POSTGRES")
	}
	if admin == "" {
		admin = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	}
	dbURL, err := freshDatabase(ctx, admin)
	if err != nil {
		return err
	}
	defer dropDatabase(context.Background(), admin)

	root, err := cacheRoot()
	if err != nil {
		return err
	}
	s, err := buildSubject(root, *revFlag)
	if err != nil {
		return err
	}
	work := filepath.Join(root, "claimers")
	if err := os.MkdirAll(work, 0o755); err != nil {
		return err
	}
	env := []string{"BACKLOG_BACKEND=postgres", "BACKLOG_DATABASE_URL=" + dbURL, "BACKLOG_NAMESPACE=claimers", "BACKLOG_READ_ONLY=", "BACKLOG_LOG=warn", "TASKDATA="}
	file := filepath.Join(work, "tasks.json")
	if err := writeClaimTasks(file, *claimTasks); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "importing %s tasks into PostgreSQL (%s) ...\n", thousands(*claimTasks), redact(dbURL))
	imp := exec.Command(s.bin, "import", file)
	imp.Dir, imp.Env = work, append(os.Environ(), env...)
	if out, err := imp.CombinedOutput(); err != nil {
		return fmt.Errorf("import: %v: %s", err, out)
	}

	addrs := make([]string, *serversN)
	servers := make([]*exec.Cmd, 0, *serversN)
	stopAll := func() (cpu time.Duration) {
		for _, srv := range servers {
			cpu += stopServer(srv)
		}
		servers = nil
		return cpu
	}
	defer stopAll()
	for i := range addrs {
		srv, addr, err := startServer(s.bin, work, env)
		if err != nil {
			return err
		}
		servers = append(servers, srv)
		addrs[i] = addr
	}

	fmt.Fprintf(os.Stderr, "connecting %d claimers to %d servers ...\n", *claimersN, *serversN)
	httpClient := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: *claimersN, MaxConnsPerHost: 0}}
	sessions := make([]*mcp.ClientSession, *claimersN)
	for i := range sessions {
		name := fmt.Sprintf("claimer-%d", i)
		c := mcp.NewClient(&mcp.Implementation{Name: name, Version: "1"}, nil)
		tr := &mcp.StreamableClientTransport{Endpoint: "http://" + addrs[i%len(addrs)] + "/mcp", HTTPClient: httpClient, DisableStandaloneSSE: true}
		if sessions[i], err = c.Connect(ctx, tr, nil); err != nil {
			return fmt.Errorf("claimer %d: connecting: %w", i, err)
		}
	}

	var (
		mu      sync.Mutex
		claimed = map[string]int{}
		claims  []time.Duration
		dones   []time.Duration
		errs    []string
		wg      sync.WaitGroup
	)
	fmt.Fprintln(os.Stderr, "claiming ...")
	self0 := selfCPU()
	t0 := time.Now()
	for i, cs := range sessions {
		agent := fmt.Sprintf("claimer-%d", i)
		wg.Go(func() {
			var myClaims, myDones []time.Duration
			defer func() {
				mu.Lock()
				claims, dones = append(claims, myClaims...), append(dones, myDones...)
				mu.Unlock()
			}()
			for failures := 0; failures < 20; {
				c0 := time.Now()
				task, err := callTask(ctx, cs, "task_claim", map[string]any{"agent": agent})
				lat := time.Since(c0)
				if err != nil {
					failures++
					mu.Lock()
					errs = append(errs, "task_claim: "+err.Error())
					mu.Unlock()
					continue
				}
				if task == nil {
					return
				}
				myClaims = append(myClaims, lat)
				mu.Lock()
				claimed[task.UUID]++
				mu.Unlock()
				d0 := time.Now()
				if _, err := callTask(ctx, cs, "task_done", map[string]any{"id": task.ID}); err != nil {
					failures++
					mu.Lock()
					errs = append(errs, fmt.Sprintf("task_done %d: %v", task.ID, err))
					mu.Unlock()
					continue
				}
				myDones = append(myDones, time.Since(d0))
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(t0)
	clientCPU := selfCPU() - self0
	for _, cs := range sessions {
		cs.Close()
	}
	serverCPU := stopAll() // the servers' whole lives: start, import excluded, and the run

	dups := 0
	for _, k := range claimed {
		if k > 1 {
			dups += k - 1
		}
	}
	slices.Sort(claims)
	slices.Sort(dones)
	rate := float64(len(claims)) / elapsed.Seconds()
	fmt.Printf("\n%d claimers over %d `backlog serve --http` processes (%s), PostgreSQL, %s tasks, each claimer task_claim then task_done until none is left\n\n",
		*claimersN, *serversN, s.label, thousands(*claimTasks))
	tbl := &table{head: []string{"figure", "target", "measured", "÷ target"}}
	tbl.rows = [][]string{
		{"claims per second (whole run: claim + done)", "> 1000", num(rate), ratio(1000, rate)},
		{"task_claim latency p50", "", num(ms(pct(claims, 50))) + " ms", ""},
		{"task_claim latency p99", "< 50 ms", num(ms(pct(claims, 99))) + " ms", ratio(ms(pct(claims, 99)), 50)},
		{"task_done latency p50 / p99", "", num(ms(pct(dones, 50))) + " / " + num(ms(pct(dones, 99))) + " ms", ""},
		{"tasks claimed (distinct / claims / in the backlog)", "each once", fmt.Sprintf("%d / %d / %d", len(claimed), len(claims), *claimTasks), ""},
		{"duplicate claims", "0", fmt.Sprint(dups), ""},
		{"errors", "0", fmt.Sprint(len(errs)), ""},
		{"elapsed", "", elapsed.Round(time.Millisecond).String(), ""},
		{"CPU per claim + done: the servers / the claimers' MCP clients", "", perClaim(serverCPU, len(claims)) + " / " + perClaim(clientCPU, len(claims)), ""},
	}
	tbl.print(os.Stdout)
	for i, e := range errs {
		if i == 5 {
			fmt.Printf("... and %d more errors\n", len(errs)-5)
			break
		}
		fmt.Println("error:", e)
	}
	if dups > 0 || len(claimed) != *claimTasks {
		return fmt.Errorf("%d duplicate claims, %d of %d tasks claimed", dups, len(claimed), *claimTasks)
	}
	return nil
}

// pct is the p-th percentile of sorted durations (nearest rank).
func pct(s []time.Duration, p int) time.Duration {
	if len(s) == 0 {
		return 0
	}
	i := (len(s)*p + 99) / 100
	return s[max(i, 1)-1]
}

type claimedTask struct {
	ID   int64  `json:"id"`
	UUID string `json:"uuid"`
}

// callTask calls a tool that answers {"task": …} and returns the task (nil
// for {"task": null}).
func callTask(ctx context.Context, cs *mcp.ClientSession, tool string, args map[string]any) (*claimedTask, error) {
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: tool, Arguments: args})
	if err != nil {
		return nil, err
	}
	var text string
	for _, c := range res.Content {
		if t, ok := c.(*mcp.TextContent); ok {
			text += t.Text
		}
	}
	if res.IsError {
		return nil, fmt.Errorf("%s", text)
	}
	raw := []byte(text)
	if res.StructuredContent != nil {
		if raw, err = json.Marshal(res.StructuredContent); err != nil {
			return nil, err
		}
	}
	var out struct {
		Task *claimedTask `json:"task"`
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, fmt.Errorf("%s answered %.200s", tool, raw)
	}
	return out.Task, nil
}

// freshDatabase drops and creates benchDatabase on admin's server and
// returns its URL.
func freshDatabase(ctx context.Context, admin string) (string, error) {
	u, err := url.Parse(admin)
	if err != nil {
		return "", fmt.Errorf("-postgres: %w", err)
	}
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return "", fmt.Errorf("PostgreSQL at %s: %w", redact(admin), err)
	}
	defer conn.Close(ctx)
	for _, q := range []string{"DROP DATABASE IF EXISTS " + benchDatabase + " WITH (FORCE)", "CREATE DATABASE " + benchDatabase} {
		if _, err := conn.Exec(ctx, q); err != nil {
			return "", fmt.Errorf("%s: %w", q, err)
		}
	}
	u.Path = "/" + benchDatabase
	return u.String(), nil
}

func dropDatabase(ctx context.Context, admin string) {
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return
	}
	defer conn.Close(ctx)
	conn.Exec(ctx, "DROP DATABASE IF EXISTS "+benchDatabase+" WITH (FORCE)")
}

func redact(u string) string {
	if p, err := url.Parse(u); err == nil {
		return p.Redacted()
	}
	return "(a URL)"
}

// writeClaimTasks writes n pending tasks, none blocked or waiting, with
// no project or tag, so that every one is claimable by any agent (a claim
// by an agent named ROLE prefers tasks filed for ROLE and leaves those
// filed for something else).
func writeClaimTasks(file string, n int) error {
	var b strings.Builder
	b.WriteString("[")
	for i := range n {
		if i > 0 {
			b.WriteString(",\n")
		}
		fmt.Fprintf(&b, `{"description":"claimable task %d"}`, i)
	}
	b.WriteString("]\n")
	return os.WriteFile(file, []byte(b.String()), 0o644)
}

// startServer starts `backlog serve --http` on a free loopback port and
// waits until it accepts connections.
func startServer(bin, dir string, env []string) (*exec.Cmd, string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, "", err
	}
	addr := l.Addr().String()
	l.Close()
	cmd := exec.Command(bin, "serve", "--http", addr)
	cmd.Dir, cmd.Env = dir, append(os.Environ(), env...)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, "", err
	}
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return cmd, addr, nil
		}
	}
	stopServer(cmd)
	return nil, "", fmt.Errorf("backlog serve --http %s did not listen within 30 s", addr)
}

// perClaim is CPU time divided among n claims, in milliseconds.
func perClaim(cpu time.Duration, n int) string {
	if n == 0 {
		return "-"
	}
	return num(ms(cpu)/float64(n)) + " ms"
}

// selfCPU is the CPU time this process has used (the claimers' side: the
// MCP clients and their HTTP).
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// stopServer interrupts a server this program started, waits for it and
// returns the CPU time it used.
func stopServer(cmd *exec.Cmd) time.Duration {
	cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		<-done
	}
	if cmd.ProcessState == nil {
		return 0
	}
	return cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
}
