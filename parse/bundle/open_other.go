//go:build !linux

package bundle

import "os"

// openRead opens a bundle file read-only.
func openRead(path string) (*os.File, error) { return os.Open(path) }
