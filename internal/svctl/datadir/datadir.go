// Package datadir is svctl's data dir and the layout of what it keeps
// there, the one place those paths are spelled:
//
//	<data dir>/runs/<job ID>/src/              the run's copy of the source
//	<data dir>/runs/<job ID>/bin/<service>     its build
//	<data dir>/runs/<job ID>/source.tar.gz     the source, archived to publish
//	<data dir>/runs/<job ID>/job.nomad.hcl     the job it submitted
//	<data dir>/runs/<job ID>/.lock             held while the run is in progress
//	<data dir>/runs/<job ID>/.nomad            the Nomad address it went to
//	<data dir>/builds/                         builds kept for reuse
//
// The data dir is SVCTL_DATA, else $XDG_DATA_HOME/svctl, else
// ~/.local/share/svctl, and only its owner may read it.
package datadir

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// Dir is svctl's data dir.
type Dir string

// Default is SVCTL_DATA, else $XDG_DATA_HOME/svctl, else
// ~/.local/share/svctl. Without any of them it refuses: a shared,
// predictable directory would let another user of the machine put a binary
// where a raw_exec task runs it as the Nomad agent's user.
func Default() (Dir, error) {
	if v := os.Getenv("SVCTL_DATA"); v != "" {
		return Dir(v), nil
	}
	if v := os.Getenv("XDG_DATA_HOME"); v != "" {
		return Dir(filepath.Join(v, "svctl")), nil
	}
	home := os.Getenv("HOME")
	if home == "" {
		return "", fmt.Errorf("HOME is not set, nor SVCTL_DATA: svctl keeps runs in a directory of your own (SVCTL_DATA=DIR), never in a shared one")
	}
	return Dir(filepath.Join(home, ".local", "share", "svctl")), nil
}

// Ensure creates the data dir readable by its owner only, and refuses one
// that another user owns or may write: its binaries are run by Nomad, and
// its rendered jobs may hold a DSN.
func (d Dir) Ensure() error {
	dir := string(d)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create the data dir: %w", err)
	}
	info, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("the data dir: %w", err)
	}
	st, ok := info.Sys().(*syscall.Stat_t)
	if ok && int(st.Uid) != os.Getuid() {
		return fmt.Errorf("the data dir %s belongs to uid %d, not to you (uid %d): set SVCTL_DATA to a directory of your own", dir, st.Uid, os.Getuid())
	}
	if info.Mode().Perm()&0o022 != 0 {
		return fmt.Errorf("the data dir %s may be written by others (mode %v): chmod go-w it, or set SVCTL_DATA to a directory of your own", dir, info.Mode().Perm())
	}
	if info.Mode().Perm() != 0o700 {
		// Ours, and nobody else's to write: keep others from reading it too.
		if err := os.Chmod(dir, 0o700); err != nil {
			return fmt.Errorf("the data dir: %w", err)
		}
	}
	return nil
}

// Builds is the folder of the builds kept for reuse.
func (d Dir) Builds() string { return filepath.Join(string(d), "builds") }

func (d Dir) runs() string { return filepath.Join(string(d), "runs") }

// Run is the directory of the run of one job.
func (d Dir) Run(jobID string) Run { return Run(filepath.Join(d.runs(), jobID)) }

// Run is one run's directory.
type Run string

// Path is the directory itself.
func (r Run) Path() string { return string(r) }

// Src is where the run's copy of the source goes.
func (r Run) Src() string { return filepath.Join(string(r), "src") }

// Binary is where the run's build of service goes.
func (r Run) Binary(service string) string { return filepath.Join(string(r), "bin", service) }

// SourceArchive is where the source is archived to be published.
func (r Run) SourceArchive() string { return filepath.Join(string(r), "source.tar.gz") }

// Job is where the rendered job is kept.
func (r Run) Job() string { return filepath.Join(string(r), "job.nomad.hcl") }

// Create makes the run's directory, takes its lock and records the Nomad
// address the run goes to: gc leaves a run alone while it holds the lock
// (until it has submitted its job, or failed), and only collects the runs
// of the cluster it asks. unlock releases the lock.
func (r Run) Create(nomadAddr string) (unlock func(), err error) {
	if err := os.MkdirAll(string(r), 0o700); err != nil {
		return nil, fmt.Errorf("create the run's directory: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(string(r), ".lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock the run's directory: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock the run's directory: %w", err)
	}
	if err := os.WriteFile(filepath.Join(string(r), ".nomad"), []byte(nomadAddr), 0o600); err != nil {
		f.Close()
		return nil, fmt.Errorf("record the run's cluster: %w", err)
	}
	return func() { f.Close() }, nil
}

// Remove removes the run's directory and everything in it.
func (r Run) Remove() error { return os.RemoveAll(string(r)) }

// inProgress reports whether a run still holds its directory's lock.
func (r Run) inProgress() bool {
	f, err := os.Open(filepath.Join(string(r), ".lock"))
	if err != nil {
		return false
	}
	defer f.Close()
	return syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) != nil
}

// cluster is the Nomad address a run went to ("" if it did not say: a run
// directory from before svctl recorded it, collected like the rest).
func (r Run) cluster() string {
	b, _ := os.ReadFile(filepath.Join(string(r), ".nomad"))
	return string(b)
}

// Orphans returns the jobs whose run directories no job needs: not a live
// job's, not a run still in progress (holding its lock), not a run of
// another Nomad than here. kept counts the others. A data dir without runs
// is an fs.ErrNotExist.
func (d Dir) Orphans(live map[string]bool, here string) (ids []string, kept int, err error) {
	entries, err := os.ReadDir(d.runs())
	if err != nil {
		return nil, 0, err
	}
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		r := d.Run(e.Name())
		if cluster := r.cluster(); live[e.Name()] || r.inProgress() || cluster != "" && cluster != here {
			kept++
			continue
		}
		ids = append(ids, e.Name())
	}
	return ids, kept, nil
}

// RemoveRuns removes the run directories of the jobs ids that exist, and
// returns how many it removed and the bytes their files held.
func (d Dir) RemoveRuns(ids []string) (int, int64, error) {
	var n int
	var freed int64
	var errs []error
	for _, id := range ids {
		dir := filepath.Join(d.runs(), id)
		if filepath.Base(dir) != id || id == "" {
			continue // not a plain name
		}
		size, err := dirSize(dir)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err := os.RemoveAll(dir); err != nil {
			errs = append(errs, fmt.Errorf("remove %s: %w", dir, err))
			continue
		}
		n++
		freed += size
	}
	return n, freed, errors.Join(errs...)
}

func dirSize(dir string) (int64, error) {
	var size int64
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			if info, err := d.Info(); err == nil {
				size += info.Size()
			}
		}
		return nil
	})
	return size, err
}
