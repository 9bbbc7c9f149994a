package backlog

// MaxNamespace is the longest namespace, in bytes.
const MaxNamespace = 64

// ValidNamespace checks a namespace (the name of one backlog among those a
// shared store holds): 1 to MaxNamespace of A-Z a-z 0-9 _ -, so that no path
// can be smuggled through it into a file name.
func ValidNamespace(ns string) error {
	ok := ns != "" && len(ns) <= MaxNamespace
	for i := 0; ok && i < len(ns); i++ {
		c := ns[i]
		ok = 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-'
	}
	if !ok {
		return Invalidf("BACKLOG_NAMESPACE must be 1 to %d letters, digits, '_' or '-', got %q", MaxNamespace, ns)
	}
	return nil
}
