// Package bridge keeps a backlog and the TASKS.md files of a workspace in
// step: Import reads the files into the backlog, Export writes the
// backlog's pending tasks back out, Sync merges both sides three-way
// against the state of the last of the three (TASKSMD.md, "The bridge").
//
// The mapping:
//
//   - Section `## P0` is priority H with the tag `next`; P1 is H, P2 is M,
//     P3 is L. On export, H with `next` is P0, H is P1, M or no priority is
//     P2, L is P3; a task whose priority and tags still say what its old
//     section said stays in that section (a P1 task tagged `next` in the
//     file stays in P1).
//   - The summary is the description; a claim `(@a)` or
//     `(@a - in progress)` is the agent `a`.
//   - **ID** is the user-defined attribute tasksmd_id; **Tags** are the
//     tags; **Blocked by** is depends (the UUIDs of the tasks with those
//     IDs). A dependency on a task that is no longer pending is dropped
//     from **Blocked by** on export; a pending task another one depends on
//     gets an ID made from its description when it has none.
//   - Everything else of a task (its line as written, every metadata line
//     in order, continuation lines, sub-tasks, the blank lines inside the
//     block) is the task's doc, verbatim: the doc reads as the task reads
//     in the file. On export the doc is the block written back, with the
//     task line, ID, Tags and Blocked by lines rewritten only where the
//     backlog's fields no longer say what they say; a task with a single
//     line and no doc is written as `- [ ] description (@agent)`.
//   - The attributes tasksmd_file and tasksmd_section name the file and
//     the section a task came from; a new backlog task goes to its
//     tasksmd_file, else to the root TASKS.md, at the end of its section.
//
// The state of the last import or export is kept in the store, one record
// per file: a deleted task (so no list, pick or count ever shows it) with
// the attribute tasksmd_state naming the file, whose doc holds the file's
// bytes as last written and the UUIDs of its tasks in file order. Export
// starts from those bytes, so the title, headings, comments, policies,
// blank lines and unknown lines come back as they were, and each task goes
// back to where it was. A deleted record lives in the same transaction as
// the tasks (one Import), survives undo and export like any task, and
// needs nothing from the store beyond tasks and docs; if it is purged, the
// next export starts from an empty template.
package bridge
