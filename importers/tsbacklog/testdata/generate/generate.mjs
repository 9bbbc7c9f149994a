// Writes a data directory of the TypeScript backlog server (TASKDATA) with
// the storage engine that server is built on, @backloghq/agentdb from npm,
// driven the way the server drives it: its task schema, records shaped as
// its tools shape them, two agents (BACKLOG_AGENT_ID claude and gemini)
// writing their own operation logs, checkpoints every 50 operations, docs
// as blobs, and an archive segment. The server itself is not published on
// npm, so its tool calls are played here as the record changes they make.
//
// Then it opens a copy of the directory with the same engine and writes what
// that engine reads back (live records, archived records by segment, docs)
// as the expected state, for the Go reader's tests to compare with.
//
//	npm install && node generate.mjs ../ts-data ../ts-data.expected.json
import { AgentDB, defineSchema } from "@backloghq/agentdb";
import { cp, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

const [dir, expectedPath] = process.argv.slice(2);
if (!dir || !expectedPath) {
  console.error("usage: node generate.mjs DATADIR EXPECTED.json");
  process.exit(2);
}
await rm(dir, { recursive: true, force: true });

// A small seeded generator, so that a run makes the same choices.
let seed = 20261207;
function rand() {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const pick = (xs) => xs[Math.floor(rand() * xs.length)];
const chance = (p) => rand() < p;

const iso = (d) => d.toISOString().replace(/\.\d{3}Z$/, "Z");
const now = () => iso(new Date());
const daysAgo = (n) => iso(new Date(Date.now() - n * 86400000));
const daysAhead = (n) => iso(new Date(Date.now() + n * 86400000));

// The server's task schema: the same fields, enum values and insert hook.
// Each process has its own (its id counter lives in it).
function taskSchema() {
  return defineSchema({
    name: "tasks",
    tagField: "tags",
    // The server turns on text search; its index (text/) is no part of the
    // data a reader needs, so it is left out here.
    textSearch: false,
    fields: {
      id: { type: "autoIncrement" },
      description: { type: "string", required: true, maxLength: 500 },
      status: { type: "enum", values: ["pending", "completed", "deleted", "recurring"], default: "pending" },
      priority: { type: "enum", values: ["H", "M", "L"] },
      project: { type: "string", pattern: /^[a-zA-Z0-9_-]+$/ },
      due: { type: "date" },
      wait: { type: "date" },
      scheduled: { type: "date" },
      until: { type: "date" },
      tags: { type: "string[]" },
      depends: { type: "string[]" },
      recur: { type: "string" },
      agent: { type: "string" },
      start: { type: "string" },
      end: { type: "string" },
      entry: { type: "string" },
      modified: { type: "string" },
      parent: { type: "string" },
      has_doc: { type: "boolean" },
    },
    indexes: ["status", "project", "priority"],
    arrayIndexes: ["tags", "depends"],
    hooks: {
      beforeInsert: (record) => {
        if (!record.entry) record.entry = now();
        record.modified = now();
        return record;
      },
    },
  });
}

async function openAgent(agentId) {
  const db = new AgentDB(dir, { agentId, checkpointThreshold: 50 });
  await db.init();
  return { db, col: await db.collection(taskSchema()), agentId };
}

// The server's tools, as the record changes they make.
const tools = {
  async add(a, description, attrs = {}) {
    const uuid = crypto.randomUUID();
    await a.col.insert({
      _id: uuid,
      description,
      status: attrs.recur ? "recurring" : "pending",
      ...(attrs.project && { project: attrs.project }),
      ...(attrs.tags?.length && { tags: attrs.tags }),
      ...(attrs.priority && { priority: attrs.priority }),
      ...(attrs.due && { due: attrs.due }),
      ...(attrs.wait && { wait: attrs.wait }),
      ...(attrs.scheduled && { scheduled: attrs.scheduled }),
      ...(attrs.recur && { recur: attrs.recur }),
      ...(attrs.until && { until: attrs.until }),
      ...(attrs.depends?.length && { depends: attrs.depends }),
      ...(attrs.agent && { agent: attrs.agent }),
    });
    return uuid;
  },
  // task_import: one batch, with entry dates from elsewhere.
  async import(a, list) {
    const docs = list.map((t) => ({ _id: crypto.randomUUID(), status: "pending", ...t }));
    await a.col.insertMany(docs);
    return docs.map((d) => d._id);
  },
  async set(a, uuid, fields) {
    await a.col.update({ _id: uuid }, { $set: { ...fields, modified: now() } });
  },
  async annotate(a, uuid, text) {
    const r = await a.col.findOne(uuid);
    const annotations = [...(r.annotations ?? []), { entry: now(), description: text }];
    await tools.set(a, uuid, { annotations });
  },
  async done(a, uuid, end = now()) {
    await tools.set(a, uuid, { status: "completed", end });
  },
  async remove(a, uuid, end = now()) {
    await tools.set(a, uuid, { status: "deleted", end });
  },
  async start(a, uuid) {
    await tools.set(a, uuid, { start: now() });
  },
  async writeDoc(a, uuid, content) {
    await a.col.writeBlob(uuid, "doc", content);
    const r = await a.col.findOne(uuid);
    const tags = [...(r.tags ?? [])];
    if (!tags.includes("doc")) tags.push("doc");
    await tools.set(a, uuid, { has_doc: true, tags });
  },
  async purge(a, uuid) {
    await a.col.deleteById(uuid);
  },
  // What task_list does first: pending instances of each recurring template,
  // up to three ahead, each with the template's fields and its parent.
  async instances(a) {
    const all = await a.col.findAll();
    for (const t of all.filter((r) => r.status === "recurring" && r.recur && r.due)) {
      let due = new Date(t.due);
      for (let i = 0; i < 3; i++) {
        await a.col.insert({
          _id: crypto.randomUUID(),
          description: t.description,
          status: "pending",
          due: iso(due),
          parent: t._id,
          ...(t.project && { project: t.project }),
          ...(t.tags && { tags: [...t.tags] }),
          ...(t.priority && { priority: t.priority }),
          ...(t.agent && { agent: t.agent }),
        });
        due = new Date(due.getTime() + (t.recur === "daily" ? 1 : 7) * 86400000);
      }
    }
  },
  async archive(a, olderThanDays) {
    const cutoff = Date.now() - olderThanDays * 86400000;
    const ids = (await a.col.findAll())
      .filter((r) => (r.status === "completed" || r.status === "deleted") && r.end && new Date(r.end).getTime() <= cutoff)
      .map((r) => r._id);
    return a.col.archive({ _id: { $in: ids } });
  },
};

const projects = ["web", "api", "infra", "docs", "mobile"];
const tagWords = ["bug", "feature", "refactor", "security", "perf", "ux", "ci", "flaky"];
const verbs = ["Fix", "Add", "Remove", "Document", "Speed up", "Test", "Review", "Migrate", "Split", "Rename"];
const things = [
  "the login form", "rate limiting", "the settings page", "CSV export", "the search index", "webhook retries",
  "the billing job", "dark mode", "session expiry", "the upload size check", "error pages", "the audit log",
  "password reset", "the deploy script", "health checks", "the cache layer", "API pagination", "the onboarding tour",
];
let n = 0;
const describe = () => `${pick(verbs)} ${pick(things)} (#${++n})`;
const tagsOf = () => (chance(0.6) ? [...new Set([pick(tagWords), ...(chance(0.3) ? [pick(tagWords)] : [])])] : []);
const notes = [
  "Reproduced on staging; needs a second look at the timeout.",
  "Talked to design: keep the old layout for now.",
  "Blocked on the vendor's sandbox being down.",
  "Half done: the migration runs, the backfill does not yet.",
  "Split out the flaky part into its own task.",
  "Customer report: happens only with Safari.",
];

// Phase 1: one agent, claude, for a while.
const claude = await openAgent("claude");
const past = [];
for (let i = 0; i < 100; i++) {
  past.push({
    description: describe(),
    entry: daysAgo(400 - i * 3),
    ...(chance(0.8) && { project: pick(projects) }),
    ...(chance(0.5) && { priority: pick(["H", "M", "L"]) }),
    ...(chance(0.3) && { due: daysAhead(Math.floor(rand() * 60) - 20) }),
    ...(() => {
      const tags = tagsOf();
      return tags.length ? { tags } : {};
    })(),
  });
}
const imported = await tools.import(claude, past);
const added = [];
for (let i = 0; i < 35; i++) {
  added.push(
    await tools.add(claude, describe(), {
      project: chance(0.7) ? pick(projects) : undefined,
      priority: chance(0.5) ? pick(["H", "M", "L"]) : undefined,
      tags: tagsOf(),
      due: chance(0.3) ? daysAhead(Math.floor(rand() * 30)) : undefined,
      wait: chance(0.05) ? daysAhead(10) : undefined,
      scheduled: chance(0.05) ? daysAhead(3) : undefined,
      agent: chance(0.3) ? pick(["claude", "explorer", "reviewer"]) : undefined,
    }),
  );
}
const templates = [];
for (const [desc, recur, until] of [
  ["Rotate the staging credentials", "weekly", null],
  ["Check the error budget", "daily", daysAhead(30)],
  ["Review open dependency updates", "weekly", null],
  ["Triage new issues", "daily", null],
  ["Water the office plants", "weekly", daysAhead(90)],
]) {
  templates.push(await tools.add(claude, desc, { recur, due: daysAhead(1), until, project: "infra", tags: ["chore"] }));
}
await tools.instances(claude);
const everyone = [...imported, ...added];
for (const u of everyone.filter(() => chance(0.25))) {
  await tools.annotate(claude, u, pick(notes));
  if (chance(0.4)) await tools.annotate(claude, u, pick(notes));
}
for (let i = 40; i < everyone.length; i += 4) {
  const deps = [everyone[i - 1 - Math.floor(rand() * 30)]];
  if (chance(0.3)) deps.push(everyone[i - 31 - Math.floor(rand() * 5)]);
  await tools.set(claude, everyone[i], { depends: [...new Set(deps)] });
}
for (const u of everyone.filter(() => chance(0.15))) {
  await tools.writeDoc(claude, u, `# Spec\n\nWhat done means for this task.\n\n- [ ] the change\n- [ ] a test\n`);
}
// Old work, finished long ago: archived below.
for (const u of imported.slice(0, 26)) {
  if (chance(0.85)) await tools.done(claude, u, daysAgo(120 + Math.floor(rand() * 100)));
  else await tools.remove(claude, u, daysAgo(150));
}
await tools.writeDoc(claude, imported[3], "# Post-mortem\n\nThe login outage of March: what happened.\n");
// Recent work.
for (const u of imported.slice(26, 40)) await tools.done(claude, u);
for (const u of added.slice(0, 5)) await tools.start(claude, u);
await tools.remove(claude, added[5]);
await tools.remove(claude, added[6]);
await tools.purge(claude, added[6]);
await tools.archive(claude, 90);

// Phase 2: a second agent, gemini, starts on the same directory; the two
// write at once, each to its own log, and each refreshes before every
// operation, as the server does. Each process counts ids from what it saw
// at its start, so ids given at the same time clash.
const gemini = await openAgent("gemini");
const run = async (a, tool, ...args) => {
  await a.col.refresh();
  return tools[tool](a, ...args);
};
const late = [];
for (let i = 0; i < 8; i++) {
  late.push(await run(claude, "add", describe(), { project: "web", tags: ["late"], agent: "claude" }));
  late.push(await run(gemini, "add", describe(), { project: "api", priority: "M", agent: "gemini" }));
}
for (let i = 0; i < 20; i++) {
  late.push(await run(gemini, "add", describe(), { project: pick(projects), tags: tagsOf(), agent: "gemini" }));
}
await run(gemini, "annotate", late[0], "Picked up by gemini after claude's session ended.");
await run(gemini, "set", late[2], { depends: [late[1], added[10]] });
await run(gemini, "writeDoc", late[4], "# Handoff\n\nWhere this stands, for the next agent.\n");
await run(claude, "annotate", late[3], "Claude's note on gemini's task.");

// Claude's session ends cleanly: closing checkpoints its state.
await claude.col.refresh();
await claude.db.close();

// Phase 3: claude starts again (a new process, counting ids afresh) while
// gemini goes on; these last operations stay in the two logs, after the
// snapshot, since neither process closes (the client kills a stdio server).
const claude2 = await openAgent("claude");
const liveNow = async () => {
  await claude2.col.refresh();
  let archived = 0;
  for (const seg of claude2.col.listArchiveSegments()) {
    archived += (await claude2.col.loadArchive(seg.replace(/^archive\/archive-/, "").replace(/\.json$/, ""))).length;
  }
  return (await claude2.col.findAll()).length + archived;
};
let i = 0;
console.log(`before the last burst: ${await liveNow()} tasks`);
for (let have = await liveNow(); have < 200; have++, i++) {
  await run(i % 2 ? gemini : claude2, "add", describe(), { project: pick(projects), tags: tagsOf(), agent: i % 2 ? "gemini" : "claude" });
}
await run(gemini, "set", added[12], { priority: "H" });
await run(gemini, "done", added[13]);
await run(gemini, "remove", added[14]);
await run(claude2, "set", late[5], { project: "mobile", tags: ["late", "ux"] });
await run(claude2, "annotate", late[6], "Reviewed; one question left for gemini.");
await run(claude2, "add", "Throwaway task, purged below", {});
const throwaway = (await claude2.col.findAll()).find((r) => r.description === "Throwaway task, purged below")._id;
await run(claude2, "remove", throwaway);
await run(claude2, "purge", throwaway);
await run(gemini, "annotate", late[6], "Answered claude's question.");

// What the engine itself reads back, from a copy (opening registers the
// reader as an agent).
const copy = await mkdtemp(join(tmpdir(), "ts-data-"));
await cp(dir, copy, { recursive: true });
const reader = new AgentDB(copy, { agentId: "reader" });
await reader.init();
const col = await reader.collection(taskSchema());
const live = (await col.findAll()).sort((x, y) => x._id.localeCompare(y._id));
const archived = {};
for (const seg of col.listArchiveSegments()) {
  const period = seg.replace(/^archive\/archive-/, "").replace(/\.json$/, "");
  archived[period] = (await col.loadArchive(period)).sort((x, y) => x._id.localeCompare(y._id));
}
const docs = {};
for (const r of [...live, ...Object.values(archived).flat()]) {
  try {
    docs[r._id] = (await readFile(join(copy, "collections", "tasks", "blobs", r._id, "doc"))).toString("utf-8");
  } catch {
    // no doc
  }
}
const { writeFile } = await import("node:fs/promises");
await writeFile(expectedPath, JSON.stringify({ live, archived, docs }, null, 1) + "\n");
console.log(`live ${live.length}, archived ${Object.values(archived).flat().length}, docs ${Object.keys(docs).length}`);
await rm(copy, { recursive: true, force: true });
process.exit(0);
