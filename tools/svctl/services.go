package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
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
	ws := &workspace{Root: root, Packs: filepath.Join(root, "packs"), DataDir: defaultDataDir()}
	if v := os.Getenv("SVCTL_PACKS"); v != "" {
		ws.Packs = v
	}
	return ws, nil
}

func defaultDataDir() string {
	if v := os.Getenv("SVCTL_DATA"); v != "" {
		return v
	}
	if v := os.Getenv("XDG_DATA_HOME"); v != "" {
		return filepath.Join(v, "svctl")
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return filepath.Join(os.TempDir(), "svctl")
	}
	return filepath.Join(home, ".local", "share", "svctl")
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
