// Package sqlstore is what the two SQL stores, SQLite (sqlite/) and
// PostgreSQL (postgres/), share, written once:
//
//   - where.go compiles a filter into a WHERE condition over `tasks t`,
//     exact or a superset of the evaluator's answer (Compile);
//   - tx.go, archive.go and outbox.go are the methods of store.Tx that both
//     databases answer with the same statements (Tx);
//   - statements.go writes those statements, scoped to the store's backlog
//     where a database holds many;
//   - codec.go is how a task is kept in a row of tasks;
//   - migrate.go applies the numbered schema steps each store embeds.
//
// What differs between the databases is a Dialect (dialect.go): a few
// facts (Traits) and the SQL of the few tests each writes its own way, each
// saying why. A store's transaction embeds Tx and adds what its database
// does its own way: allocating ids, writing and purging tasks with their
// index rows, appending to the journal, locking a task, and tallying.
package sqlstore
