//go:build !unix

package cli

import "os"

// terminalWidth is the width of the terminal f, or 0 where it is unknown.
func terminalWidth(f *os.File) int { return 0 }
