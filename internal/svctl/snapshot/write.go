package snapshot

import (
	"io/fs"
	"os"
)

// openDir creates dir in root if it is missing and opens it.
func openDir(root *os.Root, dir string) (*os.Root, error) {
	if err := root.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	return root.OpenRoot(dir)
}

// closeFile finishes a file just written: it sets the permission bits
// exactly (the umask may have cleared some at creation) and closes it. It
// returns the first error among writeErr, the chmod and the close.
func closeFile(f *os.File, perm fs.FileMode, writeErr error) error {
	err := writeErr
	if err == nil {
		err = f.Chmod(perm)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
