package engine

// SetSmallColumn sets how many tasks Board reads whole for a column, for
// a test of the ranked way, and returns the function that restores it.
func SetSmallColumn(n int) (restore func()) {
	old := smallColumn
	smallColumn = n
	return func() { smallColumn = old }
}
