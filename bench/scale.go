package main

// The scale section (issue 19): `bench --scale 100k|1m` imports a generated
// backlog of that many tasks once into a cache directory and measures the
// figures of the table as whole processes of the built binary, each
// beside its target, and optionally beside another commit of ours
// (--against REV) and beside Taskwarrior's CLI on the same tasks.

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

var (
	scaleFlag   = flag.String("scale", "", "100k or 1m (any N, Nk or Nm): the issue 19 figures on a cached store of that many tasks")
	againstFlag = flag.String("against", "", "with -scale: also measure commit `REV` (built from git archive) and print the ratios")
	revFlag     = flag.String("rev", "", "with -scale or -claimers: measure commit `REV` instead of the working tree")
	cacheFlag   = flag.String("cache", "", "where generated files, binaries and stores are kept (default: $XDG_CACHE_HOME/backlog-bench)")
	twFlag      = flag.String("taskwarrior", "auto", "with -scale: compare with Taskwarrior's CLI: on, off, or auto (at 100,000 tasks or fewer)")
)

// A scaleTarget is one scale's targets (issue 19's table).
type scaleTarget struct {
	importTime        time.Duration
	importMiB         float64
	count, search, pf time.Duration
	serve             time.Duration
	diskPerTask       float64 // bytes
	bytesPerListed    float64
}

// targetsFor gives the targets of the nearer of the two scales.
func targetsFor(n int) scaleTarget {
	if n <= 300_000 {
		return scaleTarget{6 * time.Second, 100, 10 * time.Millisecond, 15 * time.Millisecond, 20 * time.Millisecond, 8 * time.Millisecond, 600, 150}
	}
	return scaleTarget{60 * time.Second, 150, 15 * time.Millisecond, 40 * time.Millisecond, 80 * time.Millisecond, 8 * time.Millisecond, 600, 150}
}

// parseScale reads 100k, 1m, 1.5m or a plain number of tasks.
func parseScale(s string) (int, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	mult := 1.0
	switch {
	case strings.HasSuffix(t, "k"):
		mult, t = 1e3, t[:len(t)-1]
	case strings.HasSuffix(t, "m"):
		mult, t = 1e6, t[:len(t)-1]
	}
	f, err := strconv.ParseFloat(strings.ReplaceAll(t, "_", ""), 64)
	if err != nil || f*mult < 1 || f*mult > 1e8 {
		return 0, fmt.Errorf("-scale takes a number of tasks such as 100k or 1m, got %q", s)
	}
	return int(f * mult), nil
}

// scaleName is the cache's name for n tasks: 100k, 1m, 2500.
func scaleName(n int) string {
	switch {
	case n%1_000_000 == 0:
		return fmt.Sprintf("%dm", n/1_000_000)
	case n%1_000 == 0:
		return fmt.Sprintf("%dk", n/1_000)
	}
	return strconv.Itoa(n)
}

func cacheRoot() (string, error) {
	if *cacheFlag != "" {
		return filepath.Abs(*cacheFlag)
	}
	base := os.Getenv("XDG_CACHE_HOME")
	if base == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("no cache directory: set XDG_CACHE_HOME or pass -cache: %w", err)
		}
		base = filepath.Join(home, ".cache")
	}
	return filepath.Join(base, "backlog-bench"), nil
}

// A subject is one binary of ours under measurement.
type subject struct {
	label string // "working tree", "HEAD 2cad36d"
	key   string // the cache's name for the binary
	bin   string
	store string // its TASKDATA at this scale
	imp   stat   // its import of the generated file
}

// runScale is `bench -scale N`.
func runScale(_, runs int, _ string) error {
	n, err := parseScale(*scaleFlag)
	if err != nil {
		return err
	}
	if runs < 15 {
		return fmt.Errorf("-runs %d: the fast figures need 15 runs or more", runs)
	}
	root, err := cacheRoot()
	if err != nil {
		return err
	}
	data := filepath.Join(root, fmt.Sprintf("%s-g%d", scaleName(n), genVersion))
	ours, tw, err := generated(data, n)
	if err != nil {
		return err
	}

	subjects := []*subject{}
	s, err := buildSubject(root, *revFlag)
	if err != nil {
		return err
	}
	subjects = append(subjects, s)
	if *againstFlag != "" {
		a, err := buildSubject(root, *againstFlag)
		if err != nil {
			return err
		}
		subjects = append(subjects, a)
	}
	for _, s := range subjects {
		if err := importInto(data, s, ours, n); err != nil {
			return err
		}
	}
	var twStore *twSubject
	switch *twFlag {
	case "on", "auto":
		if *twFlag == "auto" && n > 100_000 {
			break
		}
		if twStore, err = taskwarrior(data, tw, n); err != nil {
			return err
		}
	case "off":
	default:
		return fmt.Errorf("-taskwarrior takes on, off or auto, got %q", *twFlag)
	}

	t := targetsFor(n)
	tbl := newTable(subjects, twStore != nil)
	each := func(f func(s *subject) cell) []cell {
		cells := make([]cell, len(subjects))
		for i, s := range subjects {
			cells[i] = f(s)
		}
		return cells
	}
	var twImport, twMemory, twDisk *cell
	if twStore != nil {
		c := timeCell(twStore.imp, time.Second)
		twImport, twMemory = &c, &cell{median: float64(twStore.imp.MaxRSS) / 1024, ok: true}
		size, err := dirSize(twStore.data)
		if err != nil {
			return err
		}
		twDisk = &cell{median: float64(size) / float64(n), ok: true}
	}
	tbl.add(fmt.Sprintf("`import` of %s tasks: time", thousands(n)), "s", t.importTime.Seconds(),
		each(func(s *subject) cell { return timeCell(s.imp, time.Second) }), twImport)
	tbl.add(fmt.Sprintf("`import` of %s tasks: peak memory", thousands(n)), "MiB", t.importMiB,
		each(func(s *subject) cell { return cell{median: float64(s.imp.MaxRSS) / 1024, ok: true} }), twMemory)

	// timed measures a command of ours on every subject and Taskwarrior's
	// (twArgs, if any), their runs taking turns.
	timed := func(name string, target time.Duration, serve bool, args, twArgs []string) error {
		fmt.Fprintf(os.Stderr, "timing %s ...\n", name)
		var jobs []job
		for _, s := range subjects {
			jobs = append(jobs, job{Argv: append([]string{s.bin}, args...), Env: ourEnv(s.store), Runs: runs, Warm: 2, Serve: serve})
		}
		if twStore != nil && twArgs != nil {
			jobs = append(jobs, twStore.job(twArgs, runs))
		}
		ss, err := measure(jobs...)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		cells := make([]cell, len(subjects))
		for i := range subjects {
			cells[i] = timeCell(summarize(ss[i]), time.Millisecond)
		}
		var tw *cell
		if len(ss) > len(subjects) {
			c := timeCell(summarize(ss[len(subjects)]), time.Millisecond)
			c.note = twStore.matches(twArgs)
			tw = &c
		}
		if !serve && len(args) > 1 {
			name += matches(subjects[0], args[1:])
		}
		tbl.add(name, "ms", ms(target), cells, tw)
		return nil
	}
	for _, q := range []struct {
		name         string
		target       time.Duration
		args, twArgs []string
	}{
		{"`count`", t.count, []string{"count"}, []string{"status:pending", "count"}},
		{"`list widget item4242` (text search)", t.search, []string{"list", "widget", "item4242"}, []string{"widget", "item4242", "list"}},
		// Taskwarrior's project:p3 also matches p30..p39 (a prefix);
		// this is its filter for p3 and its sub-projects alone.
		{"`list project:p3 +bug`", t.pf, []string{"list", "project:p3", "+bug"}, []string{"( project.is:p3 or project:p3. )", "+bug", "list"}},
	} {
		if err := timed(q.name, q.target, false, q.args, q.twArgs); err != nil {
			return err
		}
	}
	if err := timed("`serve` spawn → `initialize` answered", t.serve, true, []string{"serve"}, nil); err != nil {
		return err
	}
	// The floor: starting any process at all on this machine now.
	ss, err := measure(job{Argv: []string{"/bin/true"}, Runs: runs, Warm: 2})
	if err != nil {
		return err
	}
	tbl.add("floor: `/bin/true` spawned and reaped", "ms", 0, []cell{timeCell(summarize(ss[0]), time.Millisecond)}, nil)

	var disk, listed []cell
	for _, s := range subjects {
		size, err := dirSize(s.store)
		if err != nil {
			return err
		}
		disk = append(disk, cell{median: float64(size) / float64(n), ok: true})
		size64, tasks, err := mcpListBytes(s.bin, s.store)
		if err != nil {
			return fmt.Errorf("%s: %w", s.label, err)
		}
		listed = append(listed, cell{median: float64(size64) / float64(tasks), ok: true, note: fmt.Sprintf("%d B / %d tasks", size64, tasks)})
	}
	tbl.add("disk per task", "B", t.diskPerTask, disk, twDisk)
	tbl.add("MCP `task_list` (defaults): bytes per listed task", "B", t.bytesPerListed, listed, nil)

	fmt.Printf("\n%s tasks (generator g%d, %s); wall times: median and minimum of %d runs (one for import), CPU: median user+system;\n",
		thousands(n), genVersion, data, runs)
	fmt.Println("÷ target under 1 is within target; a ratio between two columns under 1 means ours is faster/smaller.")
	for _, s := range subjects {
		fmt.Printf("  %s: %s\n", s.label, s.bin)
	}
	if twStore != nil {
		fmt.Printf("  taskwarrior %s: TASKDATA %s\n", twStore.version, twStore.data)
	}
	fmt.Println()
	tbl.print(os.Stdout)
	return nil
}

func ms(d time.Duration) float64 { return float64(d) / 1e6 }

// thousands writes n with commas: 100,000.
func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// generated writes the two import files into dir once (done.json marks
// them complete) and returns their paths.
func generated(dir string, n int) (ours, tw string, err error) {
	ours, tw = filepath.Join(dir, "tasks.json"), filepath.Join(dir, "taskwarrior.json")
	done := filepath.Join(dir, "generated")
	if _, err := os.Stat(done); err == nil {
		return ours, tw, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", "", err
	}
	fmt.Fprintf(os.Stderr, "generating %s tasks into %s ...\n", thousands(n), dir)
	t0 := time.Now()
	if err := generate(n, ours, tw); err != nil {
		return "", "", fmt.Errorf("generating the tasks: %w", err)
	}
	fmt.Fprintf(os.Stderr, "generated in %s\n", time.Since(t0).Round(time.Millisecond))
	return ours, tw, os.WriteFile(done, nil, 0o644)
}

// buildSubject builds the binary of the working tree (rev empty) or of a
// commit, into the cache. A commit's binary is kept under its hash; the
// working tree's under the hash of the binary, so that an unchanged tree
// finds its store again and a changed one imports afresh.
func buildSubject(root, rev string) (*subject, error) {
	bins := filepath.Join(root, "bin")
	if err := os.MkdirAll(bins, 0o755); err != nil {
		return nil, err
	}
	if rev == "" {
		head, _ := git("rev-parse", "--short", "HEAD")
		tmp := filepath.Join(bins, fmt.Sprintf("building-%d", os.Getpid()))
		fmt.Fprintln(os.Stderr, "building the working tree's ./cmd/backlog ...")
		if out, err := exec.Command("go", "build", "-o", tmp, "./cmd/backlog").CombinedOutput(); err != nil {
			return nil, fmt.Errorf("go build ./cmd/backlog (run bench from the repository root): %v: %s", err, out)
		}
		sum, err := fileHash(tmp)
		if err != nil {
			return nil, err
		}
		key := "wt-" + sum[:12]
		bin := filepath.Join(bins, key, "backlog")
		if err := os.MkdirAll(filepath.Dir(bin), 0o755); err != nil {
			return nil, err
		}
		if err := os.Rename(tmp, bin); err != nil {
			return nil, err
		}
		return &subject{label: "working tree (HEAD " + head + " + changes)", key: key, bin: bin}, nil
	}
	hash, err := git("rev-parse", "--verify", rev+"^{commit}")
	if err != nil {
		return nil, fmt.Errorf("-rev/-against %s: %w", rev, err)
	}
	label := fmt.Sprintf("%s (%s)", rev, hash[:10])
	if rev == hash || strings.HasPrefix(hash, rev) {
		label = hash[:10]
	}
	bin := filepath.Join(bins, hash, "backlog")
	if _, err := os.Stat(bin); err == nil {
		return &subject{label: label, key: hash, bin: bin}, nil
	}
	src := filepath.Join(bins, hash+".src")
	os.RemoveAll(src)
	if err := os.MkdirAll(src, 0o755); err != nil {
		return nil, err
	}
	defer os.RemoveAll(src)
	fmt.Fprintf(os.Stderr, "building %s from git archive ...\n", label)
	tarFile := src + ".tar"
	defer os.Remove(tarFile)
	if _, err := git("archive", "-o", tarFile, hash); err != nil {
		return nil, err
	}
	if out, err := exec.Command("tar", "-x", "-f", tarFile, "-C", src).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("tar: %v: %s", err, out)
	}
	tmp := bin + ".building"
	os.MkdirAll(filepath.Dir(bin), 0o755)
	build := exec.Command("go", "build", "-o", tmp, "./cmd/backlog")
	build.Dir = src
	if out, err := build.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("go build ./cmd/backlog at %s: %v: %s", label, err, out)
	}
	return &subject{label: label, key: hash, bin: bin}, os.Rename(tmp, bin)
}

func git(args ...string) (string, error) {
	var stderr bytes.Buffer
	cmd := exec.Command("git", args...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("git %s: %v: %s", strings.Join(args, " "), err, bytes.TrimSpace(stderr.Bytes()))
	}
	return strings.TrimSpace(string(out)), nil
}

func fileHash(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// ourEnv is the environment every run of ours gets: the store in dir,
// whatever the caller's settings say.
func ourEnv(dir string) []string {
	return []string{"TASKDATA=" + dir, "BACKLOG_BACKEND=sqlite", "BACKLOG_READ_ONLY=", "BACKLOG_AGENT_ID=bench"}
}

// importInto gives s its store at this scale: imported once, as one whole
// `backlog import` (the import figure), and kept with the figure. A working
// tree's stores other than this one are removed: they belong to binaries
// that no longer exist.
func importInto(data string, s *subject, file string, n int) error {
	stores := filepath.Join(data, "stores")
	s.store = filepath.Join(stores, s.key)
	record := filepath.Join(stores, s.key+".import.json")
	if b, err := os.ReadFile(record); err == nil {
		if err := json.Unmarshal(b, &s.imp); err == nil {
			return nil
		}
	}
	if strings.HasPrefix(s.key, "wt-") {
		old, _ := filepath.Glob(filepath.Join(stores, "wt-*"))
		for _, o := range old {
			os.RemoveAll(o)
		}
	}
	os.RemoveAll(s.store)
	if err := os.MkdirAll(s.store, 0o755); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "importing %s tasks with %s (once; kept in %s) ...\n", thousands(n), s.label, s.store)
	ss, err := measure(job{Argv: []string{s.bin, "import", file}, Env: ourEnv(s.store), Runs: 1})
	if err != nil {
		return fmt.Errorf("import with %s: %w", s.label, err)
	}
	s.imp = summarize(ss[0])
	fmt.Fprintf(os.Stderr, "imported in %s, peak %.0f MiB\n", s.imp.Wall.Round(time.Millisecond), float64(s.imp.MaxRSS)/1024)
	b, _ := json.Marshal(s.imp)
	return os.WriteFile(record, b, 0o644)
}

// matches says how many pending tasks a filter selects, for the figure's
// name: " (3 tasks)".
func matches(s *subject, filter []string) string {
	cmd := exec.Command(s.bin, append([]string{"count"}, filter...)...)
	cmd.Env = append(os.Environ(), ourEnv(s.store)...)
	out, err := cmd.Output()
	if err != nil {
		return ""
	}
	return fmt.Sprintf(" (%s tasks)", strings.TrimSpace(string(out)))
}

func dirSize(dir string) (int64, error) {
	var size int64
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err == nil {
			size += info.Size()
		}
		return err
	})
	return size, err
}

// mcpListBytes spawns `serve` over stdio, initializes and calls task_list
// with no arguments (pending tasks, the default limit and fields); it
// returns the size of the JSON-RPC answer (the text block and the
// structured content both) and how many tasks it lists.
func mcpListBytes(bin, dir string) (size, tasks int, err error) {
	cmd := exec.Command(bin, "serve")
	cmd.Env = append(os.Environ(), ourEnv(dir)...)
	in, err := cmd.StdinPipe()
	if err != nil {
		return 0, 0, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return 0, 0, err
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return 0, 0, err
	}
	defer func() {
		in.Close()
		if werr := cmd.Wait(); werr != nil && err == nil {
			err = fmt.Errorf("serve: %v: %s", werr, bytes.TrimSpace(stderr.Bytes()))
		}
	}()
	r := bufio.NewReaderSize(out, 1<<20)
	answer := func(id int) ([]byte, error) {
		for {
			line, err := r.ReadBytes('\n')
			if err != nil {
				return nil, fmt.Errorf("serve: no answer to request %d: %v: %s", id, err, bytes.TrimSpace(stderr.Bytes()))
			}
			var m struct {
				ID *int `json:"id"`
			}
			if json.Unmarshal(line, &m) == nil && m.ID != nil && *m.ID == id {
				return bytes.TrimRight(line, "\n"), nil
			}
		}
	}
	io.WriteString(in, initializeRequest)
	if _, err := answer(1); err != nil {
		return 0, 0, err
	}
	io.WriteString(in, `{"jsonrpc":"2.0","method":"notifications/initialized"}`+"\n")
	io.WriteString(in, `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"task_list","arguments":{}}}`+"\n")
	line, err := answer(2)
	if err != nil {
		return 0, 0, err
	}
	var res struct {
		Result struct {
			IsError           bool `json:"isError"`
			StructuredContent struct {
				Tasks []json.RawMessage `json:"tasks"`
			} `json:"structuredContent"`
		} `json:"result"`
	}
	if err := json.Unmarshal(line, &res); err != nil {
		return 0, 0, fmt.Errorf("task_list answered %.200s", line)
	}
	if res.Result.IsError || len(res.Result.StructuredContent.Tasks) == 0 {
		return 0, 0, fmt.Errorf("task_list listed no task: %.300s", line)
	}
	return len(line), len(res.Result.StructuredContent.Tasks), nil
}

// A cell is one measured value of the table: a median, with the minimum and
// CPU time where they apply.
type cell struct {
	median, min, cpu float64
	note             string
	ok, timed        bool
}

func timeCell(st stat, unit time.Duration) cell {
	return cell{median: float64(st.Wall) / float64(unit), min: float64(st.MinWall) / float64(unit), cpu: float64(st.CPU) / float64(unit), ok: true, timed: true}
}

// A table is the printed comparison: a row per figure, with our columns,
// those of the --against commit and Taskwarrior's where measured.
type table struct {
	subjects []*subject
	tw       bool
	head     []string
	rows     [][]string
}

func newTable(subjects []*subject, tw bool) *table {
	t := &table{subjects: subjects, tw: tw}
	t.head = []string{"figure", "target", subjects[0].label + ": median (min) [cpu]", "÷ target"}
	for _, s := range subjects[1:] {
		t.head = append(t.head, s.label+": median (min) [cpu]", "÷ "+s.label)
	}
	if tw {
		t.head = append(t.head, "Taskwarrior: median (min) [cpu]", "÷ Taskwarrior")
	}
	return t
}

// add adds a figure's row: the cells of the subjects (fewer leave the rest
// blank) and Taskwarrior's, if measured.
func (t *table) add(name, unit string, target float64, cells []cell, tw *cell) {
	row := []string{name, "", cells[0].String(unit), ""}
	if target > 0 {
		row[1], row[3] = "< "+num(target)+" "+unit, ratio(cells[0].median, target)
	}
	for i := 1; i < len(t.subjects); i++ {
		if i < len(cells) && cells[i].ok {
			row = append(row, cells[i].String(unit), ratio(cells[0].median, cells[i].median))
		} else {
			row = append(row, "", "")
		}
	}
	if t.tw {
		if tw == nil {
			row = append(row, "", "")
		} else {
			row = append(row, tw.String(unit), ratio(cells[0].median, tw.median))
		}
	}
	t.rows = append(t.rows, row)
}

func (c cell) String(unit string) string {
	if !c.ok {
		return ""
	}
	s := num(c.median) + " " + unit
	if c.timed {
		s += fmt.Sprintf(" (%s) [%s]", num(c.min), num(c.cpu))
	}
	if c.note != "" {
		s += " (" + c.note + ")"
	}
	return s
}

// num prints a figure with three significant digits or so.
func num(v float64) string {
	switch {
	case v >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case v >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	}
	return strconv.FormatFloat(v, 'f', 2, 64)
}

func ratio(a, b float64) string {
	if b == 0 {
		return ""
	}
	return strconv.FormatFloat(a/b, 'f', 2, 64) + "×"
}

// print writes the table as Markdown, its columns padded.
func (t *table) print(w io.Writer) {
	widths := make([]int, len(t.head))
	for _, r := range append([][]string{t.head}, t.rows...) {
		for i, c := range r {
			widths[i] = max(widths[i], len([]rune(c)))
		}
	}
	line := func(r []string) {
		var b strings.Builder
		b.WriteString("|")
		for i, c := range r {
			fmt.Fprintf(&b, " %s%s |", c, strings.Repeat(" ", widths[i]-len([]rune(c))))
		}
		fmt.Fprintln(w, b.String())
	}
	line(t.head)
	sep := make([]string, len(t.head))
	for i := range sep {
		sep[i] = strings.Repeat("-", widths[i])
	}
	line(sep)
	for _, r := range t.rows {
		line(r)
	}
}

var errNoTaskwarrior = errors.New("taskwarrior is not installed (apt-get install taskwarrior), or pass -taskwarrior off")
