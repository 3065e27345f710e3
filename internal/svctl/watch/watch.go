// Package watch tells when files of a git working tree change: it watches
// every directory of the tree that git does not ignore (fsnotify), keeps the
// changes a caller cares about and git does not ignore, and hands them over
// in batches once the tree has been quiet for a moment (an editor's save is
// several events; a checkout, many).
package watch

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/fsnotify/fsnotify"
)

// Watcher watches a working tree.
type Watcher struct {
	root     string
	relevant func(path string) bool
	quiet    time.Duration
	fs       *fsnotify.Watcher
	changes  chan []string
	errs     chan error
	done     chan struct{}
}

// New watches the working tree at root. Changes are the paths (absolute) for
// which relevant says true, that git does not ignore, handed over once no
// change has come for quiet.
func New(root string, relevant func(path string) bool, quiet time.Duration) (*Watcher, error) {
	root, err := filepath.Abs(root)
	if err != nil {
		return nil, err
	}
	fw, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, fmt.Errorf("watch %s: %w", root, err)
	}
	w := &Watcher{root: root, relevant: relevant, quiet: quiet, fs: fw,
		changes: make(chan []string), errs: make(chan error, 1), done: make(chan struct{})}
	ignored, err := ignoredDirs(root)
	if err != nil {
		fw.Close()
		return nil, err
	}
	if err := w.addTree(root, ignored); err != nil {
		fw.Close()
		return nil, err
	}
	go w.loop()
	return w, nil
}

// Changes delivers each batch of changed paths, sorted.
func (w *Watcher) Changes() <-chan []string { return w.changes }

// Errors delivers what stopped the watch, if anything did.
func (w *Watcher) Errors() <-chan error { return w.errs }

// Close stops watching.
func (w *Watcher) Close() error {
	close(w.done)
	return w.fs.Close()
}

// addTree watches dir and the directories under it, but .git and those git
// ignores.
func (w *Watcher) addTree(dir string, ignored map[string]bool) error {
	return filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil // gone meanwhile
			}
			return err
		}
		if !d.IsDir() {
			return nil
		}
		if d.Name() == ".git" || ignored[path] {
			return filepath.SkipDir
		}
		if err := w.fs.Add(path); err != nil {
			return fmt.Errorf("watch %s: %w", path, err)
		}
		return nil
	})
}

func (w *Watcher) loop() {
	pending := map[string]bool{}
	var timer <-chan time.Time
	for {
		select {
		case <-w.done:
			return
		case err, ok := <-w.fs.Errors:
			if !ok {
				return
			}
			select {
			case w.errs <- fmt.Errorf("watch %s: %w", w.root, err):
			default:
			}
		case ev, ok := <-w.fs.Events:
			if !ok {
				return
			}
			if ev.Has(fsnotify.Create) {
				if fi, err := os.Stat(ev.Name); err == nil && fi.IsDir() && filepath.Base(ev.Name) != ".git" {
					// A new directory: watch it (and what it already holds).
					if ignored, err := ignoredDirs(w.root); err == nil && !ignored[ev.Name] {
						_ = w.addTree(ev.Name, ignored)
					}
				}
			}
			if ev.Has(fsnotify.Chmod) && !ev.Has(fsnotify.Write) {
				continue // attributes only
			}
			if w.relevant(ev.Name) {
				pending[ev.Name] = true
				timer = time.After(w.quiet)
			}
		case <-timer:
			timer = nil
			paths := notIgnored(w.root, sortedKeys(pending))
			pending = map[string]bool{}
			if len(paths) == 0 {
				continue
			}
			select {
			case w.changes <- paths:
			case <-w.done:
				return
			}
		}
	}
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// ignoredDirs lists the directories git ignores in the tree at root.
func ignoredDirs(root string) (map[string]bool, error) {
	cmd := exec.Command("git", "ls-files", "--others", "--ignored", "--exclude-standard", "--directory", "-z")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("ask git what it ignores in %s: %w", root, err)
	}
	dirs := map[string]bool{}
	for _, p := range bytes.Split(out, []byte{0}) {
		if s := string(p); strings.HasSuffix(s, "/") {
			dirs[filepath.Join(root, s)] = true
		}
	}
	return dirs, nil
}

// notIgnored keeps the paths git does not ignore. If git cannot say, every
// path is kept: a rebuild too many beats a change missed.
func notIgnored(root string, paths []string) []string {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "git", "check-ignore", "--no-index", "--stdin", "-z")
	cmd.Dir = root
	cmd.Stdin = strings.NewReader(strings.Join(paths, "\x00") + "\x00")
	out, err := cmd.Output()
	var ee *exec.ExitError
	if err != nil && !(errors.As(err, &ee) && ee.ExitCode() == 1) { // 1: none ignored
		return paths
	}
	ignored := map[string]bool{}
	for _, p := range bytes.Split(out, []byte{0}) {
		if len(p) > 0 {
			ignored[string(p)] = true
		}
	}
	var keep []string
	for _, p := range paths {
		if !ignored[p] {
			keep = append(keep, p)
		}
	}
	return keep
}
