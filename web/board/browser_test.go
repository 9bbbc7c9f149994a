package board

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/agent-backlog/backlog/engine"
	"github.com/agent-backlog/backlog/sqlite"
)

// chromiumPath is Debian's Chromium. Without it the browser tests skip,
// unless BACKLOG_REQUIRE_CHROMIUM=1 (CI), where they fail.
const chromiumPath = "/usr/bin/chromium"

// browser starts a headless Chromium with a fresh profile and returns a
// tab's context.
func browser(t *testing.T) context.Context {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		if os.Getenv("BACKLOG_REQUIRE_CHROMIUM") == "1" {
			t.Fatalf("Chromium is not installed at %s, and BACKLOG_REQUIRE_CHROMIUM=1: install it (apt-get install chromium)", chromiumPath)
		}
		t.Skipf("Chromium is not installed at %s: skipping the browser tests (apt-get install chromium runs them; BACKLOG_REQUIRE_CHROMIUM=1 makes its absence a failure)", chromiumPath)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath),
		chromedp.Headless,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1400, 900),
	}
	if os.Geteuid() == 0 {
		opts = append(opts, chromedp.NoSandbox)
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("Chromium did not start: %v", err)
	}
	return ctx
}

// within runs an action with a time limit, so that a page that never gets
// there fails the test instead of hanging it.
func within[T any](t *testing.T, ctx context.Context, d time.Duration, a chromedp.Action[T]) T {
	t.Helper()
	c, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	v, err := chromedp.Run(c, a)
	if err != nil {
		t.Fatalf("browser: %v", err)
	}
	return v
}

func do(t *testing.T, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	within(t, ctx, 15*time.Second, chromedp.Steps(steps...))
}

// eval evaluates a JavaScript expression in the page.
func eval[T any](t *testing.T, ctx context.Context, js string) T {
	t.Helper()
	return within(t, ctx, 10*time.Second, chromedp.Evaluate[T](js))
}

// waitFor waits until a JavaScript expression is true in the page. It
// asks again every 20 ms, through navigations (which cut an evaluation
// short).
func waitFor(t *testing.T, ctx context.Context, js string, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	var last error
	for time.Now().Before(deadline) {
		c, cancel := context.WithTimeout(ctx, 2*time.Second)
		ok, err := chromedp.Run(c, chromedp.Evaluate[bool]("!!("+js+")"))
		cancel()
		if err == nil && ok {
			return
		}
		last = err
		time.Sleep(20 * time.Millisecond)
	}
	text, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText.slice(0, 2000) : ""`))
	t.Fatalf("the page never got to %s within %v (last error: %v); it reads:\n%s", js, d, last, text)
}

// inColumn is JavaScript that is true when the task's card is in the column.
func inColumn(ref, col string) string {
	return fmt.Sprintf(`!!document.querySelector('[data-column=%q] #task-%s')`, col, ref)
}

// artifacts is where screenshots go: $BACKLOG_ARTIFACTS when set (CI keeps
// it), else a temporary directory.
func artifacts(t *testing.T) string {
	if d := os.Getenv("BACKLOG_ARTIFACTS"); d != "" {
		d = filepath.Join(d, "board")
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		return d
	}
	return t.TempDir()
}

// screenshot saves the page as name.png and checks that it shows
// something: a good share of its pixels differ from the background.
func screenshot(t *testing.T, ctx context.Context, dir, name string) {
	t.Helper()
	b := within(t, ctx, 15*time.Second, chromedp.FullScreenshot(100))
	path := filepath.Join(dir, name+".png")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("screenshot %s is not a PNG: %v", name, err)
	}
	if share := inked(img); share < 0.01 {
		t.Errorf("screenshot %s is blank: %.4f of its pixels differ from the background", path, share)
	}
	t.Logf("screenshot: %s", path)
}

// inked is the share of pixels that differ from the top-left one.
func inked(img image.Image) float64 {
	r := img.Bounds()
	br, bg, bb, _ := img.At(r.Min.X, r.Min.Y).RGBA()
	n, total := 0, 0
	for y := r.Min.Y; y < r.Max.Y; y += 2 {
		for x := r.Min.X; x < r.Max.X; x += 2 {
			cr, cg, cb, _ := img.At(x, y).RGBA()
			if cr != br || cg != bg || cb != bb {
				n++
			}
			total++
		}
	}
	return float64(n) / float64(total)
}

// backlogBinary builds the backlog command for the test that runs it as
// another process.
func backlogBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "backlog")
	goCmd := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(goCmd); err != nil {
		goCmd = "go"
	}
	out, err := exec.Command(goCmd, "build", "-o", bin, "github.com/agent-backlog/backlog/cmd/backlog").CombinedOutput()
	if err != nil {
		t.Fatalf("building backlog: %v\n%s", err, out)
	}
	return bin
}

// TestBoardInABrowser drives the board in a real headless Chromium over a
// seeded backlog: every step a person takes in the acceptance.
func TestBoardInABrowser(t *testing.T) {
	ctx := browser(t)
	s := seed(t)
	shots := artifacts(t)
	base := s.srv.URL

	t.Run("the board shows the seeded backlog in its columns and goes live", func(t *testing.T) {
		do(t, ctx, chromedp.Navigate(base+"/"))
		waitFor(t, ctx, `document.body.getAttribute("data-live") === "on"`, 10*time.Second)
		for ref, col := range map[string]string{idOverdue: "ready", idSpec: "active", idStale: "active", idBlocked: "blocked", idWaiting: "waiting", idDone: "done"} {
			if !eval[bool](t, ctx, inColumn(ref, col)) {
				t.Errorf("task %s is not in the %s column", ref, col)
			}
		}
		if got := eval[string](t, ctx, `document.querySelector("#task-2 .agent").textContent`); got != "held by backend" {
			t.Errorf("task 2's card says %q, want it held by backend", got)
		}
		if !eval[bool](t, ctx, `document.querySelector("#task-1 .due").classList.contains("overdue")`) {
			t.Error("task 1 is overdue but its card does not say so")
		}
		screenshot(t, ctx, shots, "board")
	})

	t.Run("a title that is HTML renders as text", func(t *testing.T) {
		if got := eval[string](t, ctx, `document.querySelector("#task-3 .desc").textContent`); got != htmlTitle {
			t.Errorf("task 3's description reads %q, want %q", got, htmlTitle)
		}
		if n := eval[int](t, ctx, `document.querySelectorAll("main img").length`); n != 0 {
			t.Errorf("the board holds %d img elements: a description became markup", n)
		}
	})

	t.Run("a valid filter narrows the board", func(t *testing.T) {
		do(t, ctx,
			chromedp.SetValue(chromedp.ID("filter"), "project:web"),
			chromedp.Submit(chromedp.ID("filter")),
		)
		waitFor(t, ctx, `location.search.includes("project%3Aweb") && !!document.getElementById("task-1")`, 10*time.Second)
		ids := eval[[]string](t, ctx, `[...document.querySelectorAll(".card")].map(c => c.dataset.ref)`)
		if strings.Join(ids, ",") != "1,4" {
			t.Errorf("project:web shows tasks %v, want 1 and 4", ids)
		}
		if eval[bool](t, ctx, `!!document.getElementById("filter-error")`) {
			t.Error("a valid filter shows an error")
		}
	})

	t.Run("an invalid filter is reported inline at its position", func(t *testing.T) {
		do(t, ctx,
			chromedp.SetValue(chromedp.ID("filter"), "project:web )"),
			chromedp.Submit(chromedp.ID("filter")),
		)
		waitFor(t, ctx, `!!document.getElementById("filter-error")`, 10*time.Second)
		msg := eval[string](t, ctx, `document.getElementById("filter-error").textContent`)
		if !strings.Contains(msg, `unexpected ")"`) || !strings.Contains(msg, "character 13") {
			t.Errorf("the error reads %q, want the token and its position", msg)
		}
		if got := eval[string](t, ctx, `document.querySelector("#filter-error mark").textContent`); got != ")" {
			t.Errorf("the error marks %q, want the )", got)
		}
		if eval[string](t, ctx, `document.getElementById("filter").getAttribute("aria-invalid")`) != "true" {
			t.Error("the filter field is not marked invalid")
		}
		if !eval[bool](t, ctx, inColumn(idSpec, "active")) {
			t.Error("with an invalid filter the board should still show every task")
		}
		screenshot(t, ctx, shots, "filter-error")
	})

	t.Run("a task page shows its doc rendered and sanitised", func(t *testing.T) {
		do(t, ctx, chromedp.Navigate(base+"/tasks/"+idSpec))
		waitFor(t, ctx, `!!document.querySelector(".doc h1")`, 10*time.Second)
		if got := eval[string](t, ctx, `document.querySelector(".doc h1").textContent`); got != "SSO spec" {
			t.Errorf("the doc's heading reads %q", got)
		}
		if n := eval[int](t, ctx, `document.querySelectorAll('.doc input[type=checkbox]').length`); n != 2 {
			t.Errorf("the doc shows %d task-list checkboxes, want 2", n)
		}
		if n := eval[int](t, ctx, `document.querySelectorAll(".doc table td").length`); n != 2 {
			t.Errorf("the doc's table has %d cells, want 2", n)
		}
		if n := eval[int](t, ctx, `document.querySelectorAll(".doc script").length`); n != 0 {
			t.Error("the doc's raw <script> reached the page")
		}
		text := eval[string](t, ctx, `document.querySelector("main").innerText`)
		for _, want := range []string{"provider chosen", "backend", "claim"} {
			if !strings.Contains(text, want) {
				t.Errorf("the task page lacks %q", want)
			}
		}
		screenshot(t, ctx, shots, "task")
	})

	t.Run("dependencies link both ways", func(t *testing.T) {
		do(t, ctx, chromedp.Navigate(base+"/tasks/"+idOverdue))
		waitFor(t, ctx, `!!document.querySelector('a[href="/tasks/4"]')`, 10*time.Second)
		do(t, ctx, chromedp.Navigate(base+"/tasks/"+idBlocked))
		waitFor(t, ctx, `!!document.querySelector('a[href="/tasks/1"]')`, 10*time.Second)
	})

	t.Run("done moves the card to Done today", func(t *testing.T) {
		do(t, ctx, chromedp.Navigate(base+"/"))
		waitFor(t, ctx, inColumn(idOverdue, "ready"), 10*time.Second)
		do(t, ctx, chromedp.Click(chromedp.CSS(`button[formaction="/tasks/1/done"]`)))
		waitFor(t, ctx, inColumn(idOverdue, "done"), 10*time.Second)
		if got := eval[string](t, ctx, `document.querySelector(".flash").textContent`); !strings.Contains(got, "Task 1 done.") {
			t.Errorf("the message reads %q", got)
		}
		if !eval[bool](t, ctx, inColumn(idBlocked, "ready")) {
			t.Error("task 4 is still blocked after the task it depends on is done")
		}
	})

	t.Run("undo takes the board's last change back", func(t *testing.T) {
		do(t, ctx, chromedp.Click(chromedp.CSS(`.flash button`)))
		waitFor(t, ctx, inColumn(idOverdue, "ready"), 10*time.Second)
		do(t, ctx, chromedp.Click(chromedp.CSS(`button[formaction="/tasks/1/done"]`)))
		waitFor(t, ctx, inColumn(idOverdue, "done"), 10*time.Second)
	})

	t.Run("a task added by another process appears without a reload", func(t *testing.T) {
		bin := backlogBinary(t)
		waitFor(t, ctx, `document.body.getAttribute("data-live") === "on"`, 10*time.Second)
		eval[bool](t, ctx, `window.notReloaded = true`)
		cmd := exec.Command(bin, "add", "Added from another process", "project:ops")
		cmd.Env = append(os.Environ(), "TASKDATA="+s.dir, "BACKLOG_AGENT_ID=cli")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("backlog add: %v\n%s", err, out)
		}
		start := time.Now()
		waitFor(t, ctx, `[...document.querySelectorAll('[data-column=ready] .desc')].some(d => d.textContent === "Added from another process")`, 5*time.Second)
		t.Logf("the new task showed %v after backlog add returned", time.Since(start).Round(time.Millisecond))
		if !eval[bool](t, ctx, `window.notReloaded === true`) {
			t.Error("the page reloaded to show the new task")
		}
	})

	t.Run("a commit shows on the open board within moments", func(t *testing.T) {
		// A second handle on the backlog's file, as another process has:
		// its commits reach the board through the store's change feed.
		other, err := sqlite.Open(context.Background(), filepath.Join(s.dir, "backlog.db"))
		if err != nil {
			t.Fatal(err)
		}
		defer other.Close()
		e := engine.New(other, engine.Options{Agent: "timer"})
		do(t, ctx, chromedp.Navigate(base+"/"))
		waitFor(t, ctx, `document.body.getAttribute("data-live") === "on"`, 10*time.Second)
		var lat []time.Duration
		for i := range 5 {
			desc := fmt.Sprintf("Timed change %d", i)
			// The page notes the moment the card appears, so that how
			// often the test looks does not count.
			eval[bool](t, ctx, fmt.Sprintf(`window.seen = new Promise(resolve => {
				const here = () => [...document.querySelectorAll("[data-column=ready] .desc")].some(d => d.textContent === %q);
				new MutationObserver((_, o) => { if (here()) { o.disconnect(); resolve(Date.now()); } }).observe(document.body, {childList: true, subtree: true});
			}), true`, desc))
			if _, err := e.Add(context.Background(), &engine.Changes{Description: ptr(desc)}); err != nil {
				t.Fatal(err)
			}
			committed := time.Now()
			seen := within(t, ctx, 5*time.Second, chromedp.Evaluate[float64](`window.seen`, chromedp.EvalAwaitPromise))
			lat = append(lat, time.UnixMilli(int64(seen)).Sub(committed))
			time.Sleep(100 * time.Millisecond) // the board settles before the next
		}
		slices.Sort(lat)
		t.Logf("a commit showed on the board after %v (median of %d; fastest %v, slowest %v)", lat[len(lat)/2], len(lat), lat[0], lat[len(lat)-1])
		if slowest := lat[len(lat)-1]; slowest > 2*time.Second {
			t.Errorf("a commit took %v to show on the open board", slowest)
		}
	})

	t.Run("a stale claim is released from the agents view", func(t *testing.T) {
		do(t, ctx, chromedp.Navigate(base+"/agents"))
		waitFor(t, ctx, `!!document.querySelector("tr.stale")`, 10*time.Second)
		stale := eval[[]string](t, ctx, `[...document.querySelectorAll("tr.stale a")].map(a => a.textContent)`)
		if strings.Join(stale, ",") != "#5" {
			t.Errorf("the stale claims are %v, want #5 alone", stale)
		}
		if eval[bool](t, ctx, `[...document.querySelectorAll("tr")].some(r => r.textContent.includes("#2") && r.classList.contains("stale"))`) {
			t.Error("backend's fresh claim of task 2 is flagged stale")
		}
		screenshot(t, ctx, shots, "agents")
		do(t, ctx, chromedp.Click(chromedp.CSS(`tr.stale button`)))
		waitFor(t, ctx, `!!document.querySelector(".flash") && !document.querySelector("tr.stale")`, 10*time.Second)
		if got := eval[string](t, ctx, `document.querySelector(".flash").textContent`); !strings.Contains(got, "Task 5 released") {
			t.Errorf("the message reads %q", got)
		}
		task, err := s.board.Info(context.Background(), idStale)
		if err != nil {
			t.Fatal(err)
		}
		if task.Agent != "" || len(task.Annotations) == 0 || !strings.Contains(task.Annotations[len(task.Annotations)-1].Description, "stale claim of worker-7") {
			t.Errorf("task 5 after release: agent %q, notes %v", task.Agent, task.Annotations)
		}
	})

	t.Run("the projects view charts each project's weeks", func(t *testing.T) {
		do(t, ctx, chromedp.Navigate(base+"/projects"))
		waitFor(t, ctx, `document.querySelectorAll("svg.chart").length >= 3`, 10*time.Second)
		label := eval[string](t, ctx, `document.querySelector("figure.chart-box").getAttribute("aria-label")`)
		if !strings.Contains(label, "completed") {
			t.Errorf("the chart's label reads %q", label)
		}
		screenshot(t, ctx, shots, "projects")
	})
}
