package backlog

import (
	"math"
	"testing"
	"time"
)

func TestUrgencyTerms(t *testing.T) {
	now := time.Date(2026, 11, 18, 10, 0, 0, 0, time.UTC)
	days := func(n float64) time.Duration { return time.Duration(n * float64(day)) }
	base := func() *Task { return &Task{Description: "x", Status: StatusPending} }
	tests := []struct {
		name              string
		edit              func(*Task)
		blocked, blocking bool
		want              float64
	}{
		{"a bare task has no urgency", func(*Task) {}, false, false, 0},
		{"the next tag adds 15 and its tag term 0.8", func(t *Task) { t.Tags = []string{"next"} }, false, false, 15 + 0.8},
		{"one tag gives 0.8", func(t *Task) { t.Tags = []string{"a"} }, false, false, 0.8},
		{"two tags give 0.9", func(t *Task) { t.Tags = []string{"a", "b"} }, false, false, 0.9},
		{"three tags give 1", func(t *Task) { t.Tags = []string{"a", "b", "c"} }, false, false, 1},
		{"one annotation gives 0.8", func(t *Task) { t.Annotations = make([]Annotation, 1) }, false, false, 0.8},
		{"two annotations give 0.9", func(t *Task) { t.Annotations = make([]Annotation, 2) }, false, false, 0.9},
		{"five annotations give 1", func(t *Task) { t.Annotations = make([]Annotation, 5) }, false, false, 1},
		{"a project gives 1", func(t *Task) { t.Project = "web" }, false, false, 1},
		{"priority H gives 6", func(t *Task) { t.Priority = PriorityHigh }, false, false, 6},
		{"priority M gives 3.9", func(t *Task) { t.Priority = PriorityMedium }, false, false, 3.9},
		{"priority L gives 1.8", func(t *Task) { t.Priority = PriorityLow }, false, false, 1.8},
		{"an active task gets 4", func(t *Task) { t.Start = now.Add(-time.Hour) }, false, false, 4},
		{"a scheduled date in the past gives 5", func(t *Task) { t.Scheduled = now.Add(-time.Minute) }, false, false, 5},
		{"a scheduled date in the future gives nothing", func(t *Task) { t.Scheduled = now.Add(time.Minute) }, false, false, 0},
		{"waiting takes 3", func(t *Task) { t.Wait = now.Add(time.Hour) }, false, false, -3},
		{"a past wait date takes nothing", func(t *Task) { t.Wait = now.Add(-time.Hour) }, false, false, 0},
		{"blocked takes 5", func(*Task) {}, true, false, -5},
		{"blocking adds 8", func(*Task) {}, false, true, 8},
		{"age is 2 x days/365", func(t *Task) { t.Entry = now.Add(-days(73)) }, false, false, 2 * 73.0 / 365},
		{"age is full after a year", func(t *Task) { t.Entry = now.Add(-days(400)) }, false, false, 2},
		{"a brand-new task has no age", func(t *Task) { t.Entry = now }, false, false, 0},
		{"due a week or more ago gives the full 12", func(t *Task) { t.Due = now.Add(-days(7)) }, false, false, 12},
		{"due a month ago gives the full 12", func(t *Task) { t.Due = now.Add(-days(30)) }, false, false, 12},
		{"due now gives 12 x (14 x 0.8/21 + 0.2)", func(t *Task) { t.Due = now }, false, false, 12 * (14*0.8/21 + 0.2)},
		{"due in 14 days gives 12 x 0.2", func(t *Task) { t.Due = now.Add(days(14)) }, false, false, 12 * 0.2},
		{"due in 7 days is on the line", func(t *Task) { t.Due = now.Add(days(7)) }, false, false, 12 * (7*0.8/21 + 0.2)},
		{"due in 30 days gives 12 x 0.2", func(t *Task) { t.Due = now.Add(days(30)) }, false, false, 12 * 0.2},
		{"a completed task has no urgency", func(t *Task) { t.Status = StatusCompleted; t.Priority = PriorityHigh }, false, false, 0},
		{"a deleted task has no urgency", func(t *Task) { t.Status = StatusDeleted; t.Tags = []string{"next"} }, false, false, 0},
		{"terms add up", func(t *Task) {
			t.Priority = PriorityHigh
			t.Project = "web"
			t.Tags = []string{"next", "bug"}
			t.Start = now
		}, false, true, 6 + 1 + 15 + 0.9 + 4 + 8},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			task := base()
			tt.edit(task)
			got := Urgency(task, now, tt.blocked, tt.blocking)
			if math.Abs(got-tt.want) > 1e-9 {
				t.Errorf("Urgency = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestUrgencyCoefficientsCanBeChanged(t *testing.T) {
	c := DefaultCoefficients
	c.PriorityH = 10
	task := &Task{Priority: PriorityHigh, Status: StatusPending}
	if got := c.Urgency(task, time.Now(), false, false); got != 10 {
		t.Errorf("Urgency with PriorityH=10 is %v", got)
	}
}

func BenchmarkUrgency(b *testing.B) {
	now := time.Date(2026, 11, 18, 10, 0, 0, 0, time.UTC)
	task := &Task{Priority: PriorityHigh, Project: "web", Tags: []string{"next", "bug"}, Due: now, Entry: now.Add(-day), Status: StatusPending}
	for b.Loop() {
		Urgency(task, now, false, true)
	}
}
