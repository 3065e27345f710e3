package meshlab

import (
	"fmt"

	nomad "github.com/hashicorp/nomad/api"
)

// Where the repository keeps what the lab runs.
const (
	popularityPack = "packs/lobsters-popularity"
	monolithJob    = "jobs/lobsters.nomad.hcl"
	monolithPkg    = "./lobsters/cmd/lobsters"
)

// taskCommand returns the command a raw_exec task runs, with its arguments.
func taskCommand(t *nomad.Task) (string, []string, error) {
	if t.Driver != "raw_exec" {
		return "", nil, fmt.Errorf("task %s: driver %q: the lab runs raw_exec tasks", t.Name, t.Driver)
	}
	cmd, _ := t.Config["command"].(string)
	if cmd == "" {
		return "", nil, fmt.Errorf("task %s: no command", t.Name)
	}
	args, _ := t.Config["args"].([]string)
	return cmd, args, nil
}
