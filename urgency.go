package backlog

import (
	"math"
	"time"
)

// Coefficients weigh each urgency term. DefaultCoefficients are Taskwarrior's.
type Coefficients struct {
	Next        float64 // the "next" tag
	Due         float64
	Blocking    float64
	PriorityH   float64
	PriorityM   float64
	PriorityL   float64
	Scheduled   float64
	Active      float64
	Age         float64
	Annotations float64
	Tags        float64
	Project     float64
	Waiting     float64
	Blocked     float64
	AgeMax      float64 // days after which the age term is full
}

// DefaultCoefficients are Taskwarrior's default urgency coefficients.
var DefaultCoefficients = Coefficients{
	Next: 15, Due: 12, Blocking: 8,
	PriorityH: 6, PriorityM: 3.9, PriorityL: 1.8,
	Scheduled: 5, Active: 4, Age: 2, Annotations: 1, Tags: 1, Project: 1,
	Waiting: -3, Blocked: -5, AgeMax: 365,
}

const day = 24 * time.Hour

// Urgency computes t's urgency at now with the default coefficients.
// blocked and blocking come from a Graph.
func Urgency(t *Task, now time.Time, blocked, blocking bool) float64 {
	return DefaultCoefficients.Urgency(t, now, blocked, blocking)
}

// Urgency computes t's urgency at now: the sum of each term's factor (0..1)
// times its coefficient, as Taskwarrior does: Own plus the terms that vary.
//
// A completed or deleted task has no urgency: it is 0.
func (c Coefficients) Urgency(t *Task, now time.Time, blocked, blocking bool) float64 {
	if t.Status == StatusCompleted || t.Status == StatusDeleted {
		return 0
	}
	return c.Own(t) + c.varying(t, now, blocked, blocking)
}

// Own is the part of t's urgency that depends on t alone, never on the
// clock or on other tasks: the next tag, priority, being active, the
// numbers of annotations and tags, having a project. A store may keep it
// with the task, so that ranking by urgency need not recompute it; it is
// never negative.
func (c Coefficients) Own(t *Task) float64 {
	var u float64
	if t.HasTag("next") {
		u += c.Next
	}
	switch t.Priority {
	case PriorityHigh:
		u += c.PriorityH
	case PriorityMedium:
		u += c.PriorityM
	case PriorityLow:
		u += c.PriorityL
	}
	if !t.Start.IsZero() {
		u += c.Active
	}
	u += c.Annotations * countFactor(len(t.Annotations))
	u += c.Tags * countFactor(len(t.Tags))
	if t.Project != "" {
		u += c.Project
	}
	return u
}

// varying is the rest of t's urgency: the terms that move with the clock
// (due, scheduled, age, waiting) or with other tasks (blocking, blocked).
// It reads only t's status, due, scheduled, wait and entry dates.
func (c Coefficients) varying(t *Task, now time.Time, blocked, blocking bool) float64 {
	u := c.Due * dueFactor(t.Due, now)
	if blocking {
		u += c.Blocking
	}
	if !t.Scheduled.IsZero() && t.Scheduled.Before(now) {
		u += c.Scheduled
	}
	u += c.Age * ageFactor(t.Entry, now, c.AgeMax)
	if t.EffectiveStatus(now) == StatusWaiting {
		u += c.Waiting
	}
	if blocked {
		u += c.Blocked
	}
	return u
}

// AgeFactor is the age term's factor at now (0..1) with the default
// AgeMax, for a store that bounds urgency.
func AgeFactor(entry, now time.Time) float64 {
	return ageFactor(entry, now, DefaultCoefficients.AgeMax)
}

// dueFactor rises linearly from 0.2 two weeks before the due date to 1.0 a
// week after it, and is 0 without a due date.
func dueFactor(due, now time.Time) float64 {
	if due.IsZero() {
		return 0
	}
	overdue := float64(now.Sub(due)) / float64(day)
	switch {
	case overdue >= 7:
		return 1
	case overdue >= -14:
		return (overdue+14)*0.8/21 + 0.2
	}
	return 0.2
}

// ageFactor grows with the task's age in days up to ageMax, where it is 1.
func ageFactor(entry, now time.Time, ageMax float64) float64 {
	if entry.IsZero() {
		return 0
	}
	if ageMax == 0 {
		return 1
	}
	age := float64(now.Sub(entry)) / float64(day)
	if age > ageMax {
		return 1
	}
	if age < 0 {
		return 0
	}
	return age / ageMax
}

// countFactor is Taskwarrior's step function for tags and annotations:
// none 0, one 0.8, two 0.9, more 1.
func countFactor(n int) float64 {
	switch n {
	case 0:
		return 0
	case 1:
		return 0.8
	case 2:
		return 0.9
	}
	return 1
}

// roundUrgency keeps four decimals, enough to order tasks and short to print.
func roundUrgency(u float64) float64 { return math.Round(u*1e4) / 1e4 }
