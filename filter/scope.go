package filter

// NamesScope reports whether e selects by status, a status virtual tag
// (PENDING, COMPLETED, DELETED, WAITING, RECURRING, TEMPLATE, PARENT,
// LATEST), an id or a UUID anywhere, which turns off the implicit
// status:pending of lists.
func NamesScope(e Expr) bool {
	named := false
	Walk(e, func(n Expr) bool {
		switch n := n.(type) {
		case *AttrExpr:
			named = named || n.Name == "status" || n.Name == "id" || n.Name == "uuid"
		case *TagExpr:
			named = named || n.Virtual && statusTag(n.Name)
		case *IDExpr:
			named = true
		}
		return !named
	})
	return named
}

// DefaultScope applies the list rule: a filter that names no status, status
// virtual tag, id or UUID selects only pending tasks (waiting ones are not
// pending). An empty filter becomes status:pending.
func DefaultScope(e Expr) Expr {
	if e != nil && NamesScope(e) {
		return e
	}
	pending := &AttrExpr{Name: "status", Value: "pending", Kind: KindStatus}
	if e == nil {
		return pending
	}
	if _, ok := e.(*BinaryExpr); ok {
		e = &ParenExpr{Lparen: e.Pos(), X: e}
	}
	return &BinaryExpr{X: pending, Op: AND, Implicit: true, Y: e}
}
