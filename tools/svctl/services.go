package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
)

// workspace is the repository svctl works in: its packs and its data dir.
type workspace struct {
	Root    string // git top level
	Packs   string // folder of packs
	DataDir string // where run copies, binaries and rendered jobs are kept
}

// findWorkspace locates the repository from the current directory. SVCTL_PACKS
// and SVCTL_DATA override where packs and run data live.
func findWorkspace() (*workspace, error) {
	out, err := exec.Command("git", "rev-parse", "--show-toplevel").Output()
	if err != nil {
		wd, _ := os.Getwd()
		return nil, fmt.Errorf("%s is not inside a git repository: svctl runs services from a repository's working tree", wd)
	}
	root := strings.TrimSpace(string(out))
	dataDir, err := defaultDataDir()
	if err != nil {
		return nil, usageError{err.Error()}
	}
	ws := &workspace{Root: root, Packs: filepath.Join(root, "packs"), DataDir: dataDir}
	if v := os.Getenv("SVCTL_PACKS"); v != "" {
		ws.Packs = v
	}
	return ws, nil
}

// defaultDataDir is SVCTL_DATA, else $XDG_DATA_HOME/svctl, else
// ~/.local/share/svctl. Without any of them it refuses: a shared,
// predictable directory would let another user of the machine put a binary
// where a raw_exec task runs it as the Nomad agent's user.
func defaultDataDir() (string, error) {
	if v := os.Getenv("SVCTL_DATA"); v != "" {
		return v, nil
	}
	if v := os.Getenv("XDG_DATA_HOME"); v != "" {
		return filepath.Join(v, "svctl"), nil
	}
	home := os.Getenv("HOME")
	if home == "" {
		return "", fmt.Errorf("HOME is not set, nor SVCTL_DATA: svctl keeps runs in a directory of your own (SVCTL_DATA=DIR), never in a shared one")
	}
	return filepath.Join(home, ".local", "share", "svctl"), nil
}

// ensureDataDir creates the data dir readable by its owner only, and
// refuses one that another user owns or may write: its binaries are run by
// Nomad, and its rendered jobs may hold a DSN.
func ensureDataDir(dir string) error {
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

// services lists the packs in the workspace.
func (ws *workspace) services() []string {
	entries, _ := os.ReadDir(ws.Packs)
	var names []string
	for _, e := range entries {
		if e.IsDir() {
			if _, err := os.Stat(filepath.Join(ws.Packs, e.Name(), "metadata.hcl")); err == nil {
				names = append(names, e.Name())
			}
		}
	}
	sort.Strings(names)
	return names
}

// packDir returns the folder of SERVICE's pack, or an error listing the known ones.
func (ws *workspace) packDir(service string) (string, error) {
	for _, s := range ws.services() {
		if s == service {
			return filepath.Join(ws.Packs, s), nil
		}
	}
	known := ws.services()
	if len(known) == 0 {
		return "", fmt.Errorf("unknown service %q: no packs in %s", service, ws.Packs)
	}
	return "", fmt.Errorf("unknown service %q: known services (packs in %s): %s", service, ws.Packs, strings.Join(known, ", "))
}
