// Drives the built `backlog serve` with the official MCP TypeScript SDK, as
// an agent's client would, and checks every tool of TOOLS.md against its
// contract. Run by clienttest_test.go; by hand:
//
//   TASKDATA=$(mktemp -d) BACKLOG_BIN=/path/to/backlog node client.mjs stdio
//   [TASKDATA=<its store> BACKLOG_BIN=...] node client.mjs http http://127.0.0.1:7411/mcp [token]
//
// The server must run on an empty store with BACKLOG_NOW=2026-11-18T10:00:00Z
// and without BACKLOG_AGENT_ID. Prints one line per failed check and a
// closing "N passed, N failed" line; exits 1 on any failure.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport, getDefaultEnvironment } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv';
import { ResourceUpdatedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';

// The tools of TOOLS.md and the hints it gives them.
const TOOLS = [
  'task_list', 'task_count', 'task_info', 'task_projects', 'task_tags',
  'task_add', 'task_log', 'task_duplicate', 'task_import',
  'task_modify', 'task_start', 'task_stop', 'task_done', 'task_delete', 'task_purge',
  'task_annotate', 'task_denotate', 'task_undo',
  'task_doc_write', 'task_doc_read', 'task_doc_delete',
  'task_archive', 'task_archive_list', 'task_archive_load',
  'task_claim', 'task_release', 'task_summary', 'task_sync',
];
const READ = ['task_list', 'task_count', 'task_info', 'task_projects', 'task_tags', 'task_doc_read',
  'task_archive_list', 'task_archive_load', 'task_summary'];
const DESTRUCTIVE = ['task_purge', 'task_doc_delete', 'task_modify'];
const IDEMPOTENT_WRITES = ['task_start', 'task_stop', 'task_done', 'task_delete', 'task_purge', 'task_denotate',
  'task_doc_write', 'task_doc_delete', 'task_archive', 'task_release'];

// The result shape of each tool: the members structuredContent may have
// (required ones first, marked by the count), per TOOLS.md and the tools'
// descriptions (done, delete and add of a recurring task say more).
const ONE_TASK = { required: ['task'], optional: [] };
const SHAPES = {
  task_list: { required: ['tasks'], optional: ['more'] },
  task_count: { required: ['count'] },
  task_info: ONE_TASK,
  task_projects: { required: ['items'] },
  task_tags: { required: ['items'] },
  task_add: { required: ['task'], optional: ['next'] },
  task_log: ONE_TASK,
  task_duplicate: ONE_TASK,
  task_import: { required: ['imported', 'tasks'] },
  task_modify: { required: ['modified', 'tasks'] },
  task_start: ONE_TASK,
  task_stop: ONE_TASK,
  task_done: { required: ['task'], optional: ['unblocked', 'blocked_by', 'next'] },
  task_delete: { required: ['task'], optional: ['dependents', 'unblocked', 'next'] },
  task_purge: ONE_TASK,
  task_annotate: ONE_TASK,
  task_denotate: ONE_TASK,
  task_undo: { required: ['undone', 'tasks'] },
  task_doc_write: ONE_TASK,
  task_doc_read: { required: ['content'] },
  task_doc_delete: ONE_TASK,
  task_archive: { required: ['archived'] },
  task_archive_list: { required: ['segments'] },
  task_archive_load: { required: ['tasks'] },
  task_claim: ONE_TASK,
  task_release: ONE_TASK,
  task_sync: { required: ['pulled', 'pushed', 'owed', 'repos'], optional: ['gone'] },
  task_summary: { required: ['counts'], optional: ['active', 'more_agents', 'overdue', 'overdue_count', 'next', 'completed', 'completed_count', 'since'] },
};

// The fields a task object may carry (TOOLS.md), plus "archived".
const TASK_FIELDS = ['id', 'uuid', 'description', 'status', 'project', 'priority', 'tags', 'due', 'scheduled', 'wait',
  'until', 'recur', 'parent', 'depends', 'agent', 'annotations', 'has_doc', 'entry', 'modified', 'start', 'end',
  'urgency', 'extra', 'archived'];
const DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const NOW = '2026-11-18T10:00:00Z';

let passed = 0;
const failures = [];
let where = '';

// check records one check; a failure names where it happened.
function check(ok, msg) {
  if (ok) {
    passed++;
  } else {
    failures.push(`${where}: ${msg}`);
    console.log(`FAIL ${where}: ${msg}`);
  }
  return ok;
}

// same checks deep equality, showing both values on failure.
function same(got, want, msg) {
  let ok = true;
  try {
    assert.deepStrictEqual(got, want);
  } catch {
    ok = false;
  }
  return check(ok, `${msg}: got ${show(got)}, want ${show(want)}`);
}

const show = (v) => (v === undefined ? 'undefined' : JSON.stringify(v));

// waitFor polls cond until it holds or ms pass, and says whether it held.
async function waitFor(cond, ms) {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 20))) {
    if (cond()) return true;
  }
  return cond();
}

// checkTask checks a task object against TOOLS.md: only known fields, only
// fields that are set, dates and UUIDs in their format. A task of task_list
// is lean (no uuid, entry or modified unless fields asks for them), and one
// trimmed by fields need only have its id.
function checkTask(t, what, trimmed = false, lean = false) {
  if (!check(t && typeof t === 'object' && !Array.isArray(t), `${what} is not a task object: ${show(t)}`)) return;
  for (const k of Object.keys(t)) {
    check(TASK_FIELDS.includes(k), `${what} has the unknown field ${k}: ${show(t)}`);
    const v = t[k];
    check(v !== null && v !== '' && !(Array.isArray(v) && v.length === 0), `${what}.${k} is present but empty: ${show(v)}`);
  }
  check(Number.isInteger(t.id) && t.id > 0, `${what}.id ${show(t.id)}`);
  if (!lean || 'uuid' in t) check(UUID.test(t.uuid), `${what}.uuid ${show(t.uuid)}`);
  if ('tags' in t) check(Array.isArray(t.tags) && t.tags.every((x) => typeof x === 'string'), `${what}.tags ${show(t.tags)}`);
  if (trimmed) return;
  check(typeof t.description === 'string', `${what}.description ${show(t.description)}`);
  check(['pending', 'waiting', 'completed', 'deleted', 'recurring'].includes(t.status), `${what}.status ${show(t.status)}`);
  check(typeof t.urgency === 'number', `${what}.urgency ${show(t.urgency)}`);
  for (const k of ['due', 'scheduled', 'wait', 'until', 'entry', 'modified', 'start', 'end']) {
    if (k in t) check(DATE.test(t[k]), `${what}.${k} is not YYYY-MM-DDTHH:MM:SSZ: ${show(t[k])}`);
  }
  if (!lean) check(DATE.test(t.entry) && DATE.test(t.modified), `${what} lacks entry or modified`);
  if ('depends' in t) check(Array.isArray(t.depends) && t.depends.every((x) => UUID.test(x)), `${what}.depends are not UUIDs: ${show(t.depends)}`);
  if ('annotations' in t) {
    check(Array.isArray(t.annotations) && t.annotations.every((a) => DATE.test(a.entry) && typeof a.description === 'string' &&
      Object.keys(a).sort().join() === 'description,entry'), `${what}.annotations ${show(t.annotations)}`);
  }
  if ('has_doc' in t) check(t.has_doc === true, `${what}.has_doc ${show(t.has_doc)}`);
  if ('extra' in t) check(typeof t.extra === 'object' && !Array.isArray(t.extra), `${what}.extra ${show(t.extra)}`);
}

// checkShape checks a result's members against the tool's shape, and the
// tasks in it.
function checkShape(name, sc, trimmed) {
  const shape = SHAPES[name];
  const keys = Object.keys(sc);
  for (const k of shape.required) check(k in sc, `${name}: structuredContent lacks ${k}: ${show(sc)}`);
  for (const k of keys) {
    check(shape.required.includes(k) || (shape.optional ?? []).includes(k), `${name}: unexpected member ${k} in ${show(sc)}`);
  }
  if ('task' in sc && sc.task !== null) checkTask(sc.task, `${name}.task`);
  if ('next' in sc && name !== 'task_summary') checkTask(sc.next, `${name}.next`);
  if (Array.isArray(sc.tasks)) sc.tasks.forEach((t, i) => checkTask(t, `${name}.tasks[${i}]`, trimmed, name === 'task_list'));
  if ('more' in sc) check(Number.isInteger(sc.more) && sc.more > 0, `${name}.more ${show(sc.more)}`);
  for (const k of ['count', 'modified', 'imported', 'archived']) {
    if (k in sc) check(Number.isInteger(sc[k]) && sc[k] >= 0, `${name}.${k} ${show(sc[k])}`);
  }
  for (const k of ['items', 'segments']) {
    if (k in sc) {
      check(Array.isArray(sc[k]) && sc[k].every((x) => typeof x.name === 'string' && Number.isInteger(x.count) &&
        Object.keys(x).sort().join() === 'count,name'), `${name}.${k} ${show(sc[k])}`);
    }
  }
  for (const k of ['unblocked', 'blocked_by', 'dependents']) {
    if (k in sc) check(Array.isArray(sc[k]) && sc[k].every(Number.isInteger), `${name}.${k} ${show(sc[k])}`);
  }
}

// A JSON Schema validator that counts the validations the client runs, to
// prove that the SDK validates structuredContent against outputSchema.
class CountingValidator {
  constructor() {
    this.inner = new AjvJsonSchemaValidator();
    this.compiled = 0;
    this.runs = 0;
  }
  getValidator(schema) {
    this.compiled++;
    const v = this.inner.getValidator(schema);
    return (input) => {
      this.runs++;
      return v(input);
    };
  }
}

class Session {
  constructor(client, validator, label) {
    this.client = client;
    this.validator = validator;
    this.label = label;
    this.calls = new Set();
    this.structured = 0;
  }

  async raw(name, args) {
    this.calls.add(name);
    return this.client.callTool({ name, arguments: args });
  }

  // ok calls a tool that must succeed and checks the result's contract:
  // structuredContent of the tool's shape (the SDK has validated it against
  // outputSchema), and one text block holding exactly its compact JSON.
  async ok(name, args) {
    where = `${this.label} ${name} ${show(args)}`;
    let res;
    try {
      res = await this.raw(name, args);
    } catch (e) {
      check(false, `call failed: ${e.message}`);
      return {};
    }
    if (!check(res.isError !== true, `unexpected tool error: ${show(res.content)}`)) return {};
    const sc = res.structuredContent;
    if (!check(sc && typeof sc === 'object' && !Array.isArray(sc), `no structuredContent object: ${show(res)}`)) return {};
    this.structured++;
    check(res.content.length === 1 && res.content[0].type === 'text', `content is not one text block: ${show(res.content)}`);
    const text = res.content[0]?.text ?? '';
    check(text === JSON.stringify(sc), `the text block is not the compact JSON of structuredContent:\n  text ${text}\n  sc   ${JSON.stringify(sc)}`);
    checkShape(name, sc, name === 'task_list' && args?.fields !== undefined);
    return sc;
  }

  // fail calls a tool that must fail with isError and exactly the sentence.
  async fail(name, args, sentence) {
    where = `${this.label} ${name} ${show(args)}`;
    let res;
    try {
      res = await this.raw(name, args);
    } catch (e) {
      check(false, `protocol error ${e.message}, want a tool error ${show(sentence)}`);
      return;
    }
    check(res.isError === true, `isError is ${show(res.isError)}, want true: ${show(res)}`);
    check(res.structuredContent === undefined, `an error result carries structuredContent ${show(res.structuredContent)}`);
    check(res.content.length === 1 && res.content[0].type === 'text', `content is not one text block: ${show(res.content)}`);
    same(res.content[0]?.text, sentence, 'error sentence');
  }
}

// exercise lists the tools and calls each of them, checking every result.
async function exercise(s, clientName) {
  const { client } = s;
  where = `${s.label} tools/list`;
  const { tools } = await client.listTools();
  same(tools.map((t) => t.name).sort(), [...TOOLS].sort(), 'tool names');
  same(tools.length, TOOLS.length, 'number of tools');
  for (const t of tools) {
    where = `${s.label} tools/list ${t.name}`;
    check(t.outputSchema?.type === 'object', `no object outputSchema: ${show(t.outputSchema)}`);
    check(t.inputSchema?.type === 'object' && t.inputSchema.additionalProperties === false, `inputSchema allows unknown arguments: ${show(t.inputSchema)}`);
    check(typeof t.description === 'string' && t.description.length > 0, 'no description');
    const read = READ.includes(t.name);
    same(t.annotations, {
      readOnlyHint: read,
      destructiveHint: DESTRUCTIVE.includes(t.name),
      idempotentHint: read || IDEMPOTENT_WRITES.includes(t.name),
      openWorldHint: false,
    }, 'annotations');
    // The SDK compiled a validator for the tool's outputSchema at tools/list.
    check(typeof client.getToolOutputValidator(t.name) === 'function', 'the client holds no output validator for it');
  }
  where = `${s.label} tools/list`;
  check(s.validator.compiled >= TOOLS.length, `the client compiled ${s.validator.compiled} output validators, want ${TOOLS.length}`);
  const listBytes = JSON.stringify({ tools }).length;
  check(listBytes < 16000, `tools/list is ${listBytes} bytes, over the 16 KB budget`);

  // An empty backlog.
  same(await s.ok('task_projects', undefined), { items: [] }, 'projects of an empty backlog, called without arguments');
  same(await s.ok('task_undo', {}), { undone: null, tasks: [] }, 'nothing to undo');
  same(await s.ok('task_list', {}), { tasks: [] }, 'empty list');

  // Create: arguments as strings (as many clients send them) ...
  const a = (await s.ok('task_add', {
    description: 'Design the sessions schema', project: 'auth', priority: 'h', tags: 'db, design', due: '2026-11-20',
  })).task;
  same(a && { id: a.id, status: a.status, project: a.project, priority: a.priority, tags: a.tags, due: a.due, entry: a.entry },
    { id: 1, status: 'pending', project: 'auth', priority: 'H', tags: ['db', 'design'], due: '2026-11-20T00:00:00Z', entry: NOW },
    'task_add with string arguments');
  // ... and in their natural JSON types.
  const b = (await s.ok('task_add', {
    description: 'Add the login endpoint <POST /login> & its tests — café ✓', project: 'auth.api',
    tags: ['api', 'bug'], depends: [1], scheduled: 'now', extra: { estimate: 3, reviewer: 'ana' },
  })).task;
  same(b && { id: b.id, description: b.description, tags: b.tags, depends: b.depends, extra: b.extra, scheduled: b.scheduled },
    { id: 2, description: 'Add the login endpoint <POST /login> & its tests — café ✓', tags: ['api', 'bug'],
      depends: [a?.uuid], extra: { estimate: 3, reviewer: 'ana' }, scheduled: NOW },
    'task_add with native arguments');
  const rec = await s.ok('task_add', { description: 'Rotate the signing keys', due: '2026-11-20', recur: 'weekly', extra: '+ops priority:M' });
  same(rec.task && { id: rec.task.id, status: rec.task.status, recur: rec.task.recur, tags: rec.task.tags, priority: rec.task.priority },
    { id: 3, status: 'recurring', recur: 'weekly', tags: ['ops'], priority: 'M' }, 'recurring template');
  same(rec.next && { id: rec.next.id, status: rec.next.status, due: rec.next.due }, { id: 4, status: 'pending', due: '2026-11-20T00:00:00Z' },
    'first instance of the series');
  const logged = (await s.ok('task_log', { description: 'Reviewed the threat model', project: 'auth', tags: 'review' })).task;
  same(logged && { id: logged.id, status: logged.status, end: logged.end }, { id: 5, status: 'completed', end: NOW }, 'task_log');

  const imported = await s.ok('task_import', {
    tasks: [
      { ref: 'mig', description: 'Write the sessions migration', project: 'db', priority: 'H' },
      { ref: 'fill', description: 'Backfill old sessions', project: 'db', depends: ['mig'], doc: '# Backfill\n1. copy\n2. verify' },
    ],
  });
  same(imported.imported, 2, 'imported');
  same(imported.tasks?.map((t) => t.id), [6, 7], 'imported ids, in input order');
  same(imported.tasks?.[1]?.depends, [imported.tasks?.[0]?.uuid], 'a ref resolved to the UUID of the batch task');
  same(imported.tasks?.[1]?.has_doc, true, 'an imported doc');
  const asString = await s.ok('task_import', { tasks: JSON.stringify([{ description: 'Clean up expired sessions', project: 'db', tags: ['cron'] }]) });
  same([asString.imported, asString.tasks?.[0]?.id, asString.tasks?.[0]?.tags], [1, 8, ['cron']], 'task_import of a JSON string');

  // Query.
  same((await s.ok('task_list', { filter: 'project:db', sort: 'id+', limit: '2', fields: 'description,priority' })).tasks,
    [{ id: 6, description: 'Write the sessions migration', priority: 'H' }, { id: 7, description: 'Backfill old sessions' }],
    'task_list with a filter, sort, limit and fields as strings');
  same((await s.ok('task_list', { filter: 'project:db', sort: 'id+', limit: 2, fields: 'description' })).more, 1,
    'task_list says how many more matched past its limit');
  const lean = (await s.ok('task_list', { filter: '6' })).tasks?.[0] ?? {};
  same(['uuid', 'entry', 'modified'].filter((k) => k in lean), [], 'task_list leaves out uuid, entry and modified by default');
  same(UUID.test((await s.ok('task_list', { filter: '6', fields: 'all' })).tasks?.[0]?.uuid), true, 'task_list with fields all keeps the uuid');
  const byTag = await s.ok('task_list', { filter: '+api or +design', limit: 10, fields: ['tags'] });
  same(byTag.tasks?.map((t) => t.id).sort(), [1, 2], 'task_list with native limit and fields');
  same(byTag.tasks?.every((t) => Object.keys(t).join() === 'id,tags'), true, 'fields keeps id and the fields asked for');
  same(await s.ok('task_count', {}), { count: 6 }, 'pending tasks (1, 2, 4, 6, 7, 8)');
  same(await s.ok('task_count', { filter: 'status.any:' }), { count: 8 }, 'every task');
  same(await s.ok('task_count', { filter: 'project:db +READY' }), { count: 2 }, 'READY db tasks (6, 8; 7 waits on 6)');
  same((await s.ok('task_info', { id: '2' })).task?.uuid, b?.uuid, 'task_info by a string id');
  same((await s.ok('task_info', { id: 2 })).task?.uuid, b?.uuid, 'task_info by a numeric id');
  same((await s.ok('task_info', { id: (b?.uuid ?? '').slice(0, 13).toUpperCase() })).task?.id, 2, 'task_info by a UUID prefix');
  same(await s.ok('task_projects', {}), { items: [{ name: 'auth', count: 1 }, { name: 'auth.api', count: 1 }, { name: 'db', count: 3 }] }, 'projects');
  same(await s.ok('task_tags', {}), {
    items: [{ name: 'api', count: 1 }, { name: 'bug', count: 1 }, { name: 'cron', count: 1 }, { name: 'db', count: 1 },
      { name: 'design', count: 1 }, { name: 'doc', count: 1 }, { name: 'ops', count: 2 }],
  }, 'tags');

  // Change.
  const dup = (await s.ok('task_duplicate', { id: '1', project: 'auth.web', priority: 'M', tags: '+copy' })).task;
  same(dup && { id: dup.id, project: dup.project, priority: dup.priority, tags: dup.tags, status: dup.status },
    { id: 9, project: 'auth.web', priority: 'M', tags: ['db', 'design', 'copy'], status: 'pending' }, 'task_duplicate');
  check(dup?.uuid !== a?.uuid, 'the copy has a new UUID');
  const mod = await s.ok('task_modify', { filter: '6,7', priority: 'L', tags: ['+migration'], due: 'eow' });
  same(mod.modified, 2, 'modified');
  same(mod.tasks?.map((t) => [t.id, t.priority, t.tags?.includes('migration'), typeof t.due]), [[6, 'L', true, 'string'], [7, 'L', true, 'string']], 'modify result');
  const undo = await s.ok('task_undo', {});
  check(typeof undo.undone === 'string' && undo.undone.startsWith('modify 2 tasks'), `undo says what it reversed: ${show(undo.undone)}`);
  same(undo.tasks?.map((t) => [t.id, t.priority, t.due]), [[6, 'H', undefined], [7, undefined, undefined]], 'undo restored the tasks');
  same(await s.ok('task_modify', { filter: 'project:nothing', priority: 'H' }), { modified: 0, tasks: [] }, 'a filter matching nothing');
  same((await s.ok('task_start', { id: 1 })).task?.start, NOW, 'task_start');
  same((await s.ok('task_stop', { id: '1' })).task?.start, undefined, 'task_stop');
  same((await s.ok('task_annotate', { id: 1, text: 'schema drafted; <see doc> & ask ana' })).task?.annotations,
    [{ entry: NOW, description: 'schema drafted; <see doc> & ask ana' }], 'task_annotate');
  same((await s.ok('task_denotate', { id: '1', text: 'schema drafted; <see doc> & ask ana' })).task?.annotations, undefined, 'task_denotate');

  // Docs, and the doc as a resource.
  const doc = '# Sessions\n\n| col | type |\n|---|---|\n| id | uuid |\n\n<b>indexes</b> & constraints';
  const written = (await s.ok('task_doc_write', { id: 1, content: doc })).task;
  same([written?.has_doc, written?.tags?.includes('doc')], [true, true], 'task_doc_write sets has_doc and the doc tag');
  same(await s.ok('task_doc_read', { id: '1' }), { content: doc }, 'task_doc_read');
  where = `${s.label} resources/read`;
  try {
    const r = await client.readResource({ uri: `backlog://task/${a?.uuid}/doc` });
    same(r.contents?.map((c) => [c.mimeType, c.text]), [['text/markdown', doc]], 'the doc as a resource');
  } catch (e) {
    check(false, `resources/read: ${e.message}`);
  }
  where = `${s.label} resources/templates/list`;
  const { resourceTemplates } = await client.listResourceTemplates();
  same(resourceTemplates?.map((r) => r.uriTemplate), ['backlog://task/{uuid}/doc'], 'the doc resource template');
  where = `${s.label} resources/read of a task without a doc`;
  try {
    await client.readResource({ uri: `backlog://task/${b?.uuid}/doc` });
    check(false, 'reading the doc of a task without one succeeded');
  } catch (e) {
    // -32602 since SEP-2164, -32002 before it.
    check([-32602, -32002].includes(e.code) && /Resource not found/.test(e.message), `want a resource-not-found error, got ${e.code} ${e.message}`);
  }
  // The largest doc allowed, 1 MiB of UTF-8 with characters JSON escapes
  // (its request body is about 1.4 MiB), goes through whole; one byte more
  // is refused.
  const unit = 'é "quoted" line\n\t';
  const enc = new TextEncoder();
  let big = unit.repeat(Math.floor((1 << 20) / enc.encode(unit).length));
  big += 'x'.repeat((1 << 20) - enc.encode(big).length);
  same(enc.encode(big).length, 1 << 20, 'the big doc is 1 MiB');
  // Subscribed to task 2's doc, the client hears of every change to it,
  // made through MCP or by another process (the CLI), until it unsubscribes.
  where = `${s.label} resources/subscribe`;
  check(client.getServerCapabilities()?.resources?.subscribe === true, `resources.subscribe is not declared: ${show(client.getServerCapabilities())}`);
  const docURI = `backlog://task/${b?.uuid}/doc`;
  const updates = [];
  client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => { updates.push(n.params.uri); });
  await client.subscribeResource({ uri: docURI });
  try {
    await client.subscribeResource({ uri: 'backlog://task/00000000-0000-4000-8000-000000000000/doc' });
    check(false, 'subscribing to the doc of a task that does not exist succeeded');
  } catch (e) {
    check(/Resource not found/.test(e.message), `subscribing to a missing task's doc: ${e.message}`);
  }
  same((await s.ok('task_doc_write', { id: 2, content: big })).task?.has_doc, true, 'a 1 MiB doc');
  where = `${s.label} resources/updated after task_doc_write`;
  same(await waitFor(() => updates.length >= 1, 5000) && updates[0], docURI, 'notifications/resources/updated after task_doc_write');
  where = `${s.label} task_doc_read of the 1 MiB doc`;
  const bigBack = await s.raw('task_doc_read', { id: 2 });
  check(bigBack.structuredContent?.content === big, `the 1 MiB doc came back changed (${bigBack.structuredContent?.content?.length} chars)`);
  await s.fail('task_doc_write', { id: 2, content: big + 'x' }, 'doc is 1048577 bytes, more than the 1048576 allowed');
  if (process.env.BACKLOG_BIN && process.env.TASKDATA) {
    where = `${s.label} resources/updated after \`backlog doc write\` in another process`;
    execFileSync(process.env.BACKLOG_BIN, ['doc', 'write', '2'], {
      input: '# Written by the CLI\n', env: { ...process.env, BACKLOG_NOW: NOW }, stdio: ['pipe', 'ignore', 'pipe'],
    });
    same(await waitFor(() => updates.length >= 2, 5000) && updates[1], docURI, 'notifications/resources/updated after a write by another process');
    same(await s.ok('task_doc_read', { id: 2 }), { content: '# Written by the CLI\n' }, 'the doc the CLI wrote');
  }
  where = `${s.label} resources/unsubscribe`;
  await client.unsubscribeResource({ uri: docURI });
  const heard = updates.length;
  await s.ok('task_doc_delete', { id: 2 });
  await new Promise((r) => setTimeout(r, 700));
  same(updates.slice(heard), [], 'no notification after unsubscribing');
  const unwritten = (await s.ok('task_doc_delete', { id: '1' })).task;
  same([unwritten?.has_doc, unwritten?.tags?.includes('doc')], [undefined, false], 'task_doc_delete clears has_doc and the tag');

  // Complete, delete, purge.
  const done = await s.ok('task_done', { id: 1 });
  same([done.task?.status, done.task?.end, done.unblocked], ['completed', NOW, [2]], 'task_done unblocks 2');
  const instance = await s.ok('task_done', { id: 4 });
  same(instance.next && [instance.next.id, instance.next.status, instance.next.due], [10, 'pending', '2026-11-27T00:00:00Z'], 'done on a recurring instance makes the next');
  same((await s.ok('task_delete', { id: '9' })).task?.status, 'deleted', 'task_delete');
  same((await s.ok('task_purge', { id: 9 })).task && 'removed', 'removed', 'task_purge');
  await s.fail('task_info', { id: 9 }, 'no task with id 9');

  // Multi-agent.
  const claimed = (await s.ok('task_claim', { filter: 'project:db' })).task;
  same(claimed && [claimed.id, claimed.agent, claimed.start], [6, clientName, NOW], "task_claim takes the most urgent READY task as the client's name");
  await s.fail('task_claim', { id: 7 }, 'task 7 is blocked by task 6');
  same(await s.ok('task_claim', { agent: 'reviewer', filter: 'project:nothing' }), { task: null }, 'nothing left to claim');
  same((await s.ok('task_claim', { id: '8', agent: 'other-agent' })).task?.agent, 'other-agent', 'claim by id for another agent');
  await s.fail('task_release', { id: 8 }, "task 8 is held by other-agent: releasing another agent's task needs force");
  same((await s.ok('task_release', { id: 8, force: true })).task?.agent, undefined, 'forced release');
  const released = (await s.ok('task_release', { id: '6', note: 'migration written; backfill next', force: 'no' })).task;
  same(released && [released.agent, released.start, released.annotations?.map((x) => x.description)],
    [undefined, undefined, ['migration written; backfill next']], 'release with a hand-off note');
  where = `${s.label} task_summary`;
  const sum = await s.ok('task_summary', {});
  same(sum.counts, { completed: 3, pending: 5, recurring: 1 }, 'summary counts');
  same(sum.next?.map((x) => x.id).sort((x, y) => x - y), [2, 6, 8, 10], 'summary next: the READY tasks (7 waits on 6)');
  same((await s.ok('task_summary', { filter: 'project:db' })).counts, { pending: 3 }, 'summary of project:db');
  check(JSON.stringify(sum).length <= 1500, `the summary is ${JSON.stringify(sum).length} bytes`);

  // Archive: tasks 1, 4 and 5 are completed now; a cutoff of 0 days takes them.
  const archived = await s.ok('task_archive', { older_than_days: '0' });
  same(archived, { archived: 3 }, 'task_archive of the completed tasks');
  same(await s.ok('task_archive', { older_than_days: 90 }), { archived: 0 }, 'task_archive again');
  same(await s.ok('task_archive_list', {}), { segments: [{ name: '2026-Q4', count: 3 }] }, 'task_archive_list');
  same((await s.ok('task_archive_load', { segment: '2026-Q4' })).tasks?.map((t) => t.id).sort(), [1, 4, 5], 'task_archive_load');
  same((await s.ok('task_info', { id: 5 })).task?.archived, '2026-Q4', 'task_info on an archived task');

  // Errors: a task that is not found is always an error, with one sentence.
  for (const [name, extra] of [
    ['task_info', {}], ['task_duplicate', { project: 'x' }], ['task_start', {}], ['task_stop', {}], ['task_done', {}],
    ['task_delete', {}], ['task_purge', {}], ['task_annotate', { text: 'x' }], ['task_denotate', { text: 'x' }],
    ['task_doc_write', { content: 'x' }], ['task_doc_read', {}], ['task_doc_delete', {}], ['task_claim', {}], ['task_release', {}],
  ]) {
    await s.fail(name, { id: 999, ...extra }, 'no task with id 999');
  }
  await s.fail('task_info', { id: '999' }, 'no task with id 999');
  await s.fail('task_add', { description: 'x', priority: 'X' }, 'priority must be H, M, L or empty, got "X"');
  await s.fail('task_add', { description: 'x', due: 'notadate' }, 'cannot parse date "notadate" for due');
  await s.fail('task_done', { id: 5 }, 'task 5 is archived in 2026-Q4 and read-only: restore it first (backlog archive restore 2026-Q4 5)');
  await s.fail('task_list', { limit: 'ten' }, 'argument "limit" must be a whole number such as 30, got "ten"');
  await s.fail('task_count', { bogus: '1' }, 'unknown argument "bogus": task_count takes filter');
  await s.fail('task_archive_load', { segment: '2020-Q1' }, 'no archive segment 2020-Q1: the segments are 2026-Q4');
  await s.fail('task_import', { tasks: [{ description: 'fine' }, { description: 'bad', priority: 'X' }] }, 'task 1: priority must be H, M, L or empty, got "X"');

  // An unknown tool is a protocol error, not a tool result.
  where = `${s.label} unknown tool`;
  try {
    await client.callTool({ name: 'task_frobnicate', arguments: {} });
    check(false, 'calling an unknown tool succeeded');
  } catch (e) {
    check(e.code === -32602 && /task_frobnicate/.test(e.message), `unknown tool: ${e.code} ${e.message}`);
  }

  // The prompts are listed and render.
  where = `${s.label} prompts`;
  const { prompts } = await client.listPrompts();
  same(prompts.map((p) => p.name).sort(), ['groom', 'handoff', 'implement', 'plan', 'spec', 'standup'], 'prompt names');
  const plan = await client.getPrompt({ name: 'plan', arguments: { goal: 'SSO login', project: 'auth' } });
  check(plan.messages?.[0]?.content?.type === 'text' && plan.messages[0].content.text.includes('SSO login'), `plan prompt: ${show(plan)}`);

  // Parallel calls from one client each get their own task.
  where = `${s.label} parallel task_add`;
  const before = (await s.ok('task_count', { filter: 'status.any:' })).count;
  const par = await Promise.all(Array.from({ length: 20 }, (_, i) => s.ok('task_add', { description: `parallel ${i}`, project: 'par' })));
  const parIds = par.map((r) => r.task?.id);
  same(new Set(parIds).size, 20, `20 parallel adds got distinct ids ${show(parIds)}`);
  same((await s.ok('task_count', { filter: 'status.any:' })).count, before + 20, 'count after 20 parallel adds');

  // A sync with nothing imported pulls and pushes nothing.
  where = `${s.label} task_sync`;
  same(await s.ok('task_sync', {}), { pulled: [], pushed: 0, owed: 0, repos: [] }, 'task_sync with nothing imported');

  // Every tool was called, and each success was validated by the SDK.
  where = `${s.label} coverage`;
  same(TOOLS.filter((n) => !s.calls.has(n)), [], 'tools never called');
  check(s.validator.runs >= s.structured && s.structured > 27,
    `the SDK validated ${s.validator.runs} of ${s.structured} structured results against outputSchema`);

  // Negative control: with a schema the result cannot match, the SDK's
  // validation must refuse it (so it is really on in this client).
  where = `${s.label} validation control`;
  client.cacheToolMetadata(tools.map((t) => (t.name === 'task_count'
    ? { ...t, outputSchema: { type: 'object', properties: { count: { type: 'string' } }, required: ['count'] } }
    : t)));
  try {
    await client.callTool({ name: 'task_count', arguments: {} });
    check(false, 'a result that breaks the outputSchema was accepted: the client does not validate');
  } catch (e) {
    check(/Structured content does not match the tool's output schema/.test(e.message), `unexpected error: ${e.message}`);
  }
  client.cacheToolMetadata(tools);
}

function newClient(name) {
  const validator = new CountingValidator();
  const client = new Client({ name, version: '1.0.0' }, { capabilities: {}, jsonSchemaValidator: validator });
  return { client, validator };
}

async function runStdio() {
  const bin = process.env.BACKLOG_BIN;
  if (!bin || !process.env.TASKDATA) throw new Error('stdio mode needs BACKLOG_BIN and TASKDATA');
  const name = 'clienttest-stdio';
  const { client, validator } = newClient(name);
  const transport = new StdioClientTransport({
    command: bin,
    args: ['serve'],
    env: { ...getDefaultEnvironment(), TASKDATA: process.env.TASKDATA, BACKLOG_NOW: NOW },
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (d) => { stderr += d; });
  await client.connect(transport);
  where = 'stdio initialize';
  same(client.getServerVersion()?.name, 'backlog', 'server name');
  check(client.getServerCapabilities()?.tools !== undefined, 'the server declares tools');
  await exercise(new Session(client, validator, 'stdio'), name);
  // Closing stdin ends the server at once: the SDK's close() waits for the
  // process to exit, and sends SIGTERM only after 2 s.
  where = 'stdio close';
  const closed = Date.now();
  await client.close();
  const took = Date.now() - closed;
  check(took < 1900, `the server took ${took} ms to exit after its stdin closed (the SDK sends SIGTERM at 2000 ms)`);
  check(stderr.trim() === '', `the server wrote on stderr: ${stderr}`);
}

async function runHTTP(url, token) {
  const name = token ? 'clienttest-http-token' : 'clienttest-http';
  const auth = token ? { Authorization: `Bearer ${token}` } : {};
  const init = JSON.stringify({
    jsonrpc: '2.0', id: 1, method: 'initialize',
    params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
  });
  const post = async (headers, body = init) => (await fetch(url, {
    method: 'POST', body,
    headers: { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream', ...headers },
  })).status;

  // The HTTP guards, seen by a plain client.
  where = 'http guards';
  if (token) {
    same(await post({}), 401, 'no token');
    same(await post({ Authorization: 'Bearer wrong' }), 401, 'a wrong token');
    same(await post(auth), 200, 'the token');
  } else {
    same(await post({}), 200, 'loopback without a token');
  }
  same(await post({ ...auth, Origin: 'https://evil.example' }), 403, 'a cross-origin browser request');
  same(await post({ ...auth, Origin: 'http://localhost:5173' }), 200, 'a loopback origin');
  const big = JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'task_add', arguments: { description: 'x'.repeat(5 << 20) } } });
  same(await post(auth, big), 413, 'a body over the limit');

  const { client, validator } = newClient(name);
  const transport = new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: auth } });
  await client.connect(transport);
  where = 'http initialize';
  same(client.getServerVersion()?.name, 'backlog', 'server name');
  check(typeof transport.sessionId === 'string' && transport.sessionId.length > 0, `a session id for protocol 2025-11-25: ${show(transport.sessionId)}`);
  await exercise(new Session(client, validator, token ? 'http+token' : 'http'), name);
  where = 'http session end';
  const sid = transport.sessionId;
  try {
    await transport.terminateSession();
    check(transport.sessionId === undefined, 'the session id is cleared after DELETE');
  } catch (e) {
    check(false, `terminating the session: ${e.message}`);
  }
  same(await post({ ...auth, 'Mcp-Session-Id': sid, 'Mcp-Protocol-Version': '2025-11-25' },
    JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'tools/list' })), 404, 'a request on the deleted session');
  await client.close();
}

async function main() {
  const [mode, ...args] = process.argv.slice(2);
  const started = Date.now();
  try {
    if (mode === 'stdio') await runStdio();
    else if (mode === 'http' && args[0]) await runHTTP(args[0], args[1]);
    else throw new Error('usage: node client.mjs stdio | http URL [TOKEN]');
  } catch (e) {
    failures.push(`${where}: ${e.stack ?? e}`);
    console.log(`FAIL ${where}: aborted: ${e.stack ?? e}`);
  }
  console.log(`client.mjs ${mode}: ${Date.now() - started} ms`);
  console.log(`${passed} passed, ${failures.length} failed`);
  process.exit(failures.length ? 1 : 0);
}

await main();
