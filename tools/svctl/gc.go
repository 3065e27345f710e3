package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"time"

	nomad "github.com/hashicorp/nomad/api"

	"microwizard/internal/svctl/agents"
	"microwizard/internal/svctl/deploy"
	"microwizard/internal/svctl/gobuild"
)

var gcCommand = &command{
	name:     "gc",
	args:     "",
	synopsis: "remove the run directories no running job needs any more",
	help: `
Removes from the data dir (SVCTL_DATA, else ~/.local/share/svctl) the
directory of every run whose job Nomad no longer runs (a copy of the tree,
a binary, the rendered job each), and the builds kept for reuse that no
run uses and are a day old, and says how much it freed. svctl stop removes
the directories of what it stops; a failed run removes its own.`,
	minArgs: 0,
	maxArgs: 0,
	setup: func(*flag.FlagSet) action {
		return func(ctx context.Context, pos []string, out streams) error {
			dataDir, err := defaultDataDir()
			if err != nil {
				return usageError{err.Error()}
			}
			nc, cc, err := agents.Both(ctx)
			if err != nil {
				return err
			}
			jobs, err := deploy.New(nc, cc, nil).Jobs("")
			if err != nil {
				return err
			}
			live := map[string]bool{}
			for _, j := range jobs {
				live[j.ID] = true
			}
			ids, kept, err := orphans(filepath.Join(dataDir, "runs"), live, nomadAddr())
			if errors.Is(err, fs.ErrNotExist) {
				fmt.Fprintln(out.stdout, "no run directories")
				return nil
			}
			if err != nil {
				return err
			}
			n, freed, err := removeRuns(dataDir, ids)
			fmt.Fprintf(out.stdout, "removed %d run director%s, %s freed; %d kept (running jobs, runs in progress, other clusters)\n", n, plural(n, "y", "ies"), bytesText(freed), kept)
			// Builds kept for reuse that no run uses, a day old.
			bn, bfreed, berr := gobuild.Cache{Dir: filepath.Join(dataDir, "builds")}.Prune(time.Now().Add(-24 * time.Hour))
			if bn > 0 {
				fmt.Fprintf(out.stdout, "removed %d kept build%s no run uses, %s freed\n", bn, plural(bn, "", "s"), bytesText(bfreed))
			}
			return errors.Join(err, berr)
		}
	},
}

// orphans returns the run directories under runsDir that no job needs: not
// a live job's, not a run still in progress (holding its lock), not a run
// of another Nomad than here. kept counts the others.
func orphans(runsDir string, live map[string]bool, here string) (ids []string, kept int, err error) {
	entries, err := os.ReadDir(runsDir)
	if err != nil {
		return nil, 0, err
	}
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		dir := filepath.Join(runsDir, e.Name())
		if cluster := runCluster(dir); live[e.Name()] || inProgress(dir) || cluster != "" && cluster != here {
			kept++
			continue
		}
		ids = append(ids, e.Name())
	}
	return ids, kept, nil
}

// removeRuns removes the run directories of the jobs ids that exist, and
// returns how many it removed and the bytes their files held.
func removeRuns(dataDir string, ids []string) (int, int64, error) {
	var n int
	var freed int64
	var errs []error
	for _, id := range ids {
		dir := filepath.Join(dataDir, "runs", id)
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

func bytesText(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// lockRun takes the run directory's lock and records which Nomad the run
// goes to; the returned function releases the lock.
func lockRun(dir string) (func(), error) {
	f, err := os.OpenFile(filepath.Join(dir, ".lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock the run's directory: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock the run's directory: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, ".nomad"), []byte(nomadAddr()), 0o600); err != nil {
		f.Close()
		return nil, fmt.Errorf("record the run's cluster: %w", err)
	}
	return func() { f.Close() }, nil
}

// inProgress reports whether a run still holds its directory's lock.
func inProgress(dir string) bool {
	f, err := os.Open(filepath.Join(dir, ".lock"))
	if err != nil {
		return false
	}
	defer f.Close()
	return syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) != nil
}

// runCluster is the Nomad address a run went to ("" if it did not say:
// a run directory from before svctl recorded it, collected like the rest).
func runCluster(dir string) string {
	b, _ := os.ReadFile(filepath.Join(dir, ".nomad"))
	return string(b)
}

// nomadAddr is the Nomad address svctl talks to, as the Nomad CLI reads it.
func nomadAddr() string { return nomad.DefaultConfig().Address }
