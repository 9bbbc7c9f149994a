package s3store_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/klauspost/compress/zstd"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/engine"
	"github.com/agent-backlog/backlog/s3store"
	"github.com/agent-backlog/backlog/s3store/s3api"
	"github.com/agent-backlog/backlog/s3store/s3test"
	"github.com/agent-backlog/backlog/store"
)

// machine is one backlog process as a test drives it: a store with a
// cache of its own, and an engine over it.
type machine struct {
	t     *testing.T
	srv   *s3test.Server
	key   string
	cache string
	st    *s3store.Store
	e     *engine.Engine
}

func newMachine(t *testing.T, srv *s3test.Server, key string) *machine {
	m := &machine{t: t, srv: srv, key: key, cache: t.TempDir()}
	m.st = open(t, srv, key, m.cache)
	t.Cleanup(func() { m.st.Close() })
	m.e = engine.New(m.st, engine.Options{Agent: "tester"})
	return m
}

func (m *machine) add(desc string) error {
	c, err := engine.ParseNew(strings.Fields(desc))
	if err != nil {
		m.t.Fatal(err)
	}
	_, err = m.e.Add(context.Background(), c)
	return err
}

func (m *machine) mustAdd(desc string) {
	m.t.Helper()
	if err := m.add(desc); err != nil {
		m.t.Fatal(err)
	}
}

// descriptions lists the backlog's pending tasks' descriptions, sorted.
func (m *machine) descriptions() ([]string, error) {
	l, err := m.e.List(context.Background(), engine.ListOptions{})
	if err != nil {
		return nil, err
	}
	var out []string
	for _, t := range l.Tasks {
		out = append(out, t.Description)
	}
	slices.Sort(out)
	return out, nil
}

func (m *machine) mustList(want ...string) {
	m.t.Helper()
	got, err := m.descriptions()
	if err != nil {
		m.t.Fatal(err)
	}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		m.t.Fatalf("tasks %q, want %q", got, want)
	}
}

// cachedETag is the ETag the cache says its copy has.
func (m *machine) cachedETag() string {
	b, _ := os.ReadFile(filepath.Join(m.cache, "etag"))
	return strings.TrimSpace(string(b))
}

// bucketETag is the object's ETag in the bucket now.
func (m *machine) bucketETag() string {
	tag, err := m.srv.Client(m.t).Head(context.Background(), m.key)
	if err != nil {
		m.t.Fatal(err)
	}
	return tag
}

// checkCacheNotAhead fails unless the cache holds the version the bucket
// holds, or a copy it does not trust (no ETag: the next command fetches
// the object whole), and no download is left.
func (m *machine) checkCacheNotAhead() {
	m.t.Helper()
	if got, want := m.cachedETag(), m.bucketETag(); got != "" && got != want {
		m.t.Errorf("the cache is at ETag %s, the bucket at %s", got, want)
	}
	if _, err := os.Stat(filepath.Join(m.cache, "fetch.db")); err == nil {
		m.t.Errorf("fetch.db left in the cache")
	}
}

// checkOneSentence fails unless err is an environment failure told in one
// sentence that contains want.
func checkOneSentence(t *testing.T, err error, want string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want one saying %q", want)
	}
	msg := err.Error()
	if !errors.Is(err, backlog.ErrEnvironment) || !strings.Contains(msg, want) || strings.Contains(strings.TrimSuffix(msg, "."), ". ") || strings.Contains(msg, "\n") {
		t.Fatalf("error %q (environment failure: %v), want one sentence of kind ErrEnvironment saying %q", msg, errors.Is(err, backlog.ErrEnvironment), want)
	}
	t.Logf("the command said: %s", msg)
}

func TestAFailedUploadChangesNothingAndTheNextCommandWorks(t *testing.T) {
	srv := s3test.Fake(t)
	key := s3test.Key("fault")
	m := newMachine(t, srv, key)
	m.mustAdd("before the fault")

	srv.Faults.FailPuts(1, 500)
	err := m.add("refused by S3")
	checkOneSentence(t, err, "refused to save the change to the backlog s3://"+srv.Bucket+"/"+key+" (500 Internal Server Error, InternalError), so nothing was changed: try again")
	m.checkCacheNotAhead()
	m.mustList("before the fault")

	m.mustAdd("after the fault")
	m.mustList("before the fault", "after the fault")
	m.checkCacheNotAhead()
	newMachine(t, srv, key).mustList("before the fault", "after the fault")
}

func TestADamagedObjectFailsInOneSentenceAndLeavesTheCacheAlone(t *testing.T) {
	for _, tt := range []struct {
		name   string
		object func(t *testing.T) []byte
	}{
		{"bytes that are not zstd", func(t *testing.T) []byte { return []byte("this is not a backlog") }},
		{"zstd of something that is not SQLite", func(t *testing.T) []byte {
			enc, _ := zstd.NewWriter(nil)
			return enc.EncodeAll(bytes.Repeat([]byte("not sqlite "), 100), nil)
		}},
		{"a backlog cut short", nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := s3test.Fake(t)
			key := s3test.Key("damaged")
			m := newMachine(t, srv, key)
			m.mustAdd("kept safe")
			client := srv.Client(t)
			good := getObject(t, srv, key)
			damaged := good[:len(good)/2]
			if tt.object != nil {
				damaged = tt.object(t)
			}
			before := m.cachedETag()
			if _, err := client.Put(context.Background(), key, damaged, "", s3apiNoCondition); err != nil {
				t.Fatal(err)
			}
			damagedTag := m.bucketETag()

			_, err := m.descriptions()
			checkOneSentence(t, err, "the backlog s3://"+srv.Bucket+"/"+key+" is damaged (it is not a zstd-compressed SQLite database)")
			err = m.add("never written")
			checkOneSentence(t, err, "is damaged")
			if got := m.cachedETag(); got != before {
				t.Errorf("the cache moved from %s to %s on a damaged object", before, got)
			}
			if got := m.bucketETag(); got != damagedTag {
				t.Errorf("a write over a damaged object uploaded something")
			}

			// Mended (the good object put back), the next command works.
			if _, err := client.Put(context.Background(), key, good, "", s3apiNoCondition); err != nil {
				t.Fatal(err)
			}
			m.mustList("kept safe")
			m.mustAdd("after the repair")
			m.mustList("kept safe", "after the repair")
			m.checkCacheNotAhead()
		})
	}
}

func TestTheServerKilledMidUploadLeavesTheCacheBehindAndTheNextCommandWorks(t *testing.T) {
	g := s3test.Versitygw(t)
	key := s3test.Key("killed")
	m := newMachine(t, g.Server, key)
	m.mustAdd("before the crash")
	// Enough text that the upload is more than a packet or two.
	for i := range 20 {
		m.mustAdd("filler " + strings.Repeat("words to upload ", 10+i))
	}
	before := m.bucketETag()

	g.Faults.KillDuringPut(g.Kill)
	err := m.add("in flight when the server died")
	checkOneSentence(t, err, "while saving the change to the backlog s3://"+g.Bucket+"/"+key)
	if !strings.Contains(err.Error(), "which may or may not have taken it") {
		t.Errorf("error %q does not say the change may have been saved", err)
	}

	g.Start(t)
	if got := m.bucketETag(); got != before {
		t.Fatalf("the object changed from %s to %s though the server died mid-upload", before, got)
	}
	m.checkCacheNotAhead()
	m.mustAdd("after the restart")
	got, err := m.descriptions()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(got, "after the restart") || slices.Contains(got, "in flight when the server died") || len(got) != 22 {
		t.Errorf("after the restart the backlog holds %d tasks: %q", len(got), got)
	}
	m.checkCacheNotAhead()
}

func TestAWriteThatLosesTheRaceRunsAgainOnTheNewObject(t *testing.T) {
	srv := s3test.Fake(t)
	key := s3test.Key("race")
	a, b := newMachine(t, srv, key), newMachine(t, srv, key)
	a.mustAdd("first")
	b.mustList("first") // b's cache is at the first version

	// While b's command runs, a writes: b's upload is refused, and b runs
	// its command again on a's version.
	runs := 0
	err := b.st.Write(context.Background(), func(tx store.Tx) error {
		runs++
		if runs == 1 {
			a.mustAdd("second, by a meanwhile")
		}
		return insertTask(tx, "third, by b")
	})
	if err != nil {
		t.Fatal(err)
	}
	if runs != 2 || b.st.Conflicts() != 1 || srv.Faults.Conflicts() != 1 {
		t.Errorf("b ran %d times with %d conflicts (server refused %d), want 2 and 1", runs, b.st.Conflicts(), srv.Faults.Conflicts())
	}
	a.mustList("first", "second, by a meanwhile", "third, by b")
	b.checkCacheNotAhead()
}

func TestAWriteThatLosesEveryRaceGivesUpAndChangesNothing(t *testing.T) {
	srv := s3test.Fake(t)
	key := s3test.Key("busy")
	a := newMachine(t, srv, key)
	a.mustAdd("first")
	st, err := s3store.Open(s3store.Options{Client: srv.Client(t), Key: key, Cache: t.TempDir(), Attempts: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	runs := 0
	err = st.Write(context.Background(), func(tx store.Tx) error {
		runs++
		a.mustAdd("interference")
		return insertTask(tx, "never saved")
	})
	checkOneSentence(t, err, "the backlog s3://"+srv.Bucket+"/"+key+" is busy (other machines wrote it first 3 times in a row), nothing was changed: run the command again")
	if runs != 3 {
		t.Errorf("ran %d times, want 3", runs)
	}
	got, _ := a.descriptions()
	if slices.Contains(got, "never saved") {
		t.Errorf("the given-up write is in the backlog: %q", got)
	}
}

func TestAReadNeverUploadsAndAnUnchangedObjectIsNotFetchedAgain(t *testing.T) {
	srv := s3test.Fake(t)
	m := newMachine(t, srv, s3test.Key("reads"))
	m.mustAdd("one")
	puts := srv.Faults.Puts()
	for range 3 {
		m.mustList("one")
	}
	if got := srv.Faults.Puts(); got != puts {
		t.Errorf("reads uploaded %d times", got-puts)
	}
	// A write that changes nothing (a claim with nothing to claim)
	// uploads nothing either.
	r, err := m.e.Claim(context.Background(), engine.ClaimOptions{Agent: "x", Filter: "project:none"})
	if err != nil || r.Task != nil {
		t.Fatalf("claim: %+v, %v", r, err)
	}
	if got := srv.Faults.Puts(); got != puts {
		t.Errorf("a write that changed nothing uploaded")
	}
}

// insertTask inserts a pending task in a raw transaction.
func insertTask(tx store.Tx, desc string) error {
	ctx := context.Background()
	id, err := tx.NextID(ctx)
	if err != nil {
		return err
	}
	return tx.Insert(ctx, &backlog.Task{ID: id, UUID: newUUID(), Description: desc, Status: backlog.StatusPending})
}

// getObject fetches an object's bytes.
func getObject(t *testing.T, srv *s3test.Server, key string) []byte {
	obj, err := srv.Client(t).Get(context.Background(), key, "")
	if err != nil {
		t.Fatal(err)
	}
	defer obj.Body.Close()
	b, err := io.ReadAll(obj.Body)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// s3apiNoCondition is an unconditional upload.
var s3apiNoCondition = s3api.Condition{}

func newUUID() string { return uuid.NewString() }
