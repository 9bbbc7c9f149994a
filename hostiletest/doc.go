// Package hostiletest is the hostile-client acceptance suite of issue 11: it
// builds the backlog binary and drives it as a careless or malicious client
// would, over stdio, over HTTP and on the command line, with malformed
// lines, huge and deeply nested JSON, wrong types for every argument of every
// tool, oversized filters, tags and attributes, and odd ids. For every case
// it checks three promises of PRODUCT.md: the answer is one sentence (or the
// JSON-RPC error the protocol asks for), the server answers the next request,
// and the store is unchanged, compared by export before and after.
//
// The package holds tests only; it is in its own folder because it needs the
// built binary rather than any one package's internals.
package hostiletest
