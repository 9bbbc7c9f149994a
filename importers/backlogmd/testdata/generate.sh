#!/bin/sh
# Writes testdata/repo with Backlog.md's own command line (npm backlog.md,
# its native build backlog.md-linux-x64): a repository's backlog/ folder with
# tasks of every status, a custom status, labels, priorities, assignees,
# dependencies, subtasks, a milestone, a draft, a completed task, an archived
# one, and a document. See README.md.
#
#   npm install --prefix /tmp/bmd-tool backlog.md@1.52.0
#   BACKLOG=/tmp/bmd-tool/node_modules/.bin/backlog sh generate.sh
set -eu
B=${BACKLOG:-backlog}
here=$(cd "$(dirname "$0")" && pwd)
rm -rf "$here/repo"
mkdir -p "$here/repo"
cd "$here/repo"
git init -q
$B init Demo --check-branches false --include-remote false --auto-open-browser false --integration-mode none --defaults >/dev/null
# A custom status, as a team adds one: config.yml is where Backlog.md keeps them.
sed -i 's/^statuses: .*/statuses: ["To Do", "In Progress", "In Review", "Done"]/' backlog/config.yml
$B milestone add "v1.0" >/dev/null 2>&1 || true

$B task create "Set up the login page" -d "A form with email and password." --ac "Form posts to /login" --ac "Errors show inline" -l web,auth --priority high -a @alice >/dev/null
$B task create "Hash passwords with argon2" -d "Replace the old SHA-1 hashes." -l auth,security --priority high -a @bob,@carol --dep task-1 >/dev/null
$B task create "Rate-limit login attempts" -l auth --priority medium --dep task-1,task-2 >/dev/null
$B task create "Write the API docs" -d "Every endpoint, with examples." -l docs --priority low >/dev/null
$B task create "Session cookie flags" -p task-1 -l auth,security >/dev/null
$B task create "Remember-me checkbox" -p task-1 -l web >/dev/null
$B task create "Fix the flaky CI job" -l ci --priority medium -a @alice >/dev/null
$B task create "Dark mode" -d "Follow the system setting." -l web,ux >/dev/null
$B task create "Audit log" -l security --priority medium >/dev/null
$B task create "Old prototype of the dashboard" -l web >/dev/null
$B task create "Release notes for v1.0" -l docs -m "v1.0" >/dev/null || $B task create "Release notes for v1.0" -l docs >/dev/null

# Ids: task-1 to task-9 in the order made, the subtasks task-1.1 and task-1.2.
$B task edit task-1 -s "In Progress" --plan "1. Markup
2. Validation
3. Wire to the API" --notes "Styling follows the design kit." >/dev/null
$B task edit task-2 -s "In Review" --check-ac 1 >/dev/null 2>&1 || $B task edit task-2 -s "In Review" >/dev/null
$B task edit task-5 -s Done --final-summary "Pinned the test database version." >/dev/null
$B task edit task-7 -s Done >/dev/null
$B task complete task-7 >/dev/null
$B task archive task-8 >/dev/null
$B task edit task-6 --comment "Design signed off the palette." --comment-author "@carol" >/dev/null
$B draft create "Maybe: passkeys" -l auth >/dev/null
$B doc create "Architecture overview" >/dev/null
rm -rf .git
