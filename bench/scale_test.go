package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseScaleReadsSuffixesAndRejectsNonsense(t *testing.T) {
	for in, want := range map[string]int{"100k": 100_000, "1m": 1_000_000, "1M": 1_000_000, "2500": 2500, "1.5m": 1_500_000, "10_000": 10_000} {
		got, err := parseScale(in)
		if err != nil || got != want {
			t.Errorf("parseScale(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "k", "lots", "-5k", "0", "1g"} {
		if n, err := parseScale(in); err == nil {
			t.Errorf("parseScale(%q) = %d, want an error", in, n)
		}
	}
}

func TestScaleNameIsShortAndReadsBack(t *testing.T) {
	for _, n := range []int{100_000, 1_000_000, 2_500, 1234} {
		got, err := parseScale(scaleName(n))
		if err != nil || got != n {
			t.Errorf("scaleName(%d) = %q, which reads back as %d, %v", n, scaleName(n), got, err)
		}
	}
	if scaleName(100_000) != "100k" || scaleName(1_000_000) != "1m" {
		t.Errorf("scaleName gives %q and %q", scaleName(100_000), scaleName(1_000_000))
	}
}

func TestThousandsGroupsDigits(t *testing.T) {
	for n, want := range map[int]string{0: "0", 999: "999", 1000: "1,000", 100_000: "100,000", 1_000_000: "1,000,000"} {
		if got := thousands(n); got != want {
			t.Errorf("thousands(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestSummarizeTakesMedianMinimumAndHighestPeak(t *testing.T) {
	ms := time.Millisecond
	st := summarize([]sample{{Wall: 30 * ms, CPU: 3 * ms, MaxRSS: 10}, {Wall: 10 * ms, CPU: 1 * ms, MaxRSS: 30}, {Wall: 20 * ms, CPU: 2 * ms, MaxRSS: 20}, {Wall: 40 * ms, CPU: 4 * ms, MaxRSS: 5}})
	if st.MinWall != 10*ms || st.Wall != 25*ms || st.CPU != 2500*time.Microsecond || st.MaxRSS != 30 || st.Runs != 4 {
		t.Errorf("summarize = %+v", st)
	}
}

func TestPercentileIsNearestRank(t *testing.T) {
	s := make([]time.Duration, 100)
	for i := range s {
		s[i] = time.Duration(i + 1)
	}
	if pct(s, 50) != 50 || pct(s, 99) != 99 || pct(s, 100) != 100 || pct(s[:1], 99) != 1 || pct(nil, 50) != 0 {
		t.Errorf("pct: p50 %d, p99 %d, p100 %d", pct(s, 50), pct(s, 99), pct(s, 100))
	}
}

func TestParseSamplesSortsRunsByJobAndRejectsStrayOutput(t *testing.T) {
	out := `{"wall":5,"cpu":4,"maxrss_kib":3}` + "\n\n" + `{"job":1,"wall":7,"cpu":4,"maxrss_kib":3}` + "\n" + `{"wall":6,"cpu":4,"maxrss_kib":3}` + "\n"
	ss, err := parseSamples([]byte(out), 2)
	if err != nil || len(ss) != 2 || len(ss[0]) != 2 || ss[0][1].Wall != 6 || len(ss[1]) != 1 || ss[1][0].Wall != 7 {
		t.Errorf("parseSamples = %v, %v", ss, err)
	}
	for _, bad := range []string{"12 34\n", `{"job":2,"wall":1}`, ""} {
		if _, err := parseSamples([]byte(bad), 2); err == nil {
			t.Errorf("parseSamples took %q", bad)
		}
	}
}

func TestTablePrintsAlignedMarkdownWithRatios(t *testing.T) {
	tbl := newTable([]*subject{{label: "new"}, {label: "old"}}, true)
	c := func(wall time.Duration) cell {
		return timeCell(stat{Wall: wall, MinWall: 4 * time.Millisecond, CPU: 3 * time.Millisecond}, time.Millisecond)
	}
	tbl.add("count", "ms", 10, []cell{c(5 * time.Millisecond), c(10 * time.Millisecond)}, &cell{median: 50, ok: true, note: "7 tasks"})
	tbl.add("floor", "ms", 0, []cell{c(2 * time.Millisecond)}, nil)
	var b strings.Builder
	tbl.print(&b)
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if len(lines) != 4 {
		t.Fatalf("table:\n%s", b.String())
	}
	for _, l := range lines[1:] {
		if len([]rune(l)) != len([]rune(lines[0])) || strings.Count(l, "|") != strings.Count(lines[0], "|") {
			t.Errorf("the columns are not padded alike:\n%s", b.String())
		}
	}
	for _, want := range []string{"< 10.0 ms", "5.00 ms (4.00) [3.00]", "0.50×", "10.0 ms (4.00) [3.00]", "50.0 ms (7 tasks)", "0.10×"} {
		if !strings.Contains(lines[2], want) {
			t.Errorf("the row lacks %q: %s", want, lines[2])
		}
	}
	if strings.Contains(lines[3], "<") || strings.Contains(lines[3], "×") {
		t.Errorf("a figure without a target got one, or a ratio: %s", lines[3])
	}
}

func TestGeneratorIsDeterministicAndKeepsDocsOutOfTaskwarriorsFile(t *testing.T) {
	dir := t.TempDir()
	const n = 2000
	files := func(tag string) (ours, tw []map[string]any) {
		o, w := filepath.Join(dir, tag+"-ours.json"), filepath.Join(dir, tag+"-tw.json")
		if err := generate(n, o, w); err != nil {
			t.Fatal(err)
		}
		for path, into := range map[string]*[]map[string]any{o: &ours, w: &tw} {
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(b, into); err != nil {
				t.Fatalf("%s is not a JSON array: %v", path, err)
			}
		}
		return ours, tw
	}
	ours, tw := files("a")
	again, _ := files("b")
	if len(ours) != n || len(tw) != n {
		t.Fatalf("%d and %d tasks, want %d", len(ours), len(tw), n)
	}
	docs := 0
	for i := range ours {
		if ours[i]["uuid"] != again[i]["uuid"] || ours[i]["description"] != again[i]["description"] {
			t.Fatalf("task %d differs between two runs: %v and %v", i, ours[i], again[i])
		}
		if ours[i]["uuid"] != tw[i]["uuid"] {
			t.Fatalf("task %d is not the same task in the two files", i)
		}
		if _, ok := ours[i]["doc"]; ok {
			docs++
		}
		if _, ok := tw[i]["doc"]; ok {
			t.Fatalf("Taskwarrior's task %d has a doc", i)
		}
	}
	if docs == 0 || docs > n/10 {
		t.Errorf("%d of %d tasks have docs, want a small fraction", docs, n)
	}
}
