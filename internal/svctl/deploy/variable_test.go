package deploy

import (
	"testing"

	nomad "github.com/hashicorp/nomad/api"
)

// A template waiting for a Variable is told apart from other events, with
// the Variable and namespace Nomad 1.6.5's event names (as it reads on a
// cluster whose team-a has no nomad/jobs).
func TestMissingVariableIsFound(t *testing.T) {
	alloc := func(events ...*nomad.TaskEvent) *nomad.Allocation {
		return &nomad.Allocation{TaskStates: map[string]*nomad.TaskState{"lobsters-popularity": {Events: events}}}
	}
	got, ok := missingVariable(alloc(
		&nomad.TaskEvent{Type: "Task Setup", DisplayMessage: "Building Task Directory"},
		&nomad.TaskEvent{Type: "Template", DisplayMessage: "Missing: nomad.var.block(nomad/jobs@team-a.global)"},
	))
	if !ok || got != (variableRef{path: "nomad/jobs", namespace: "team-a"}) {
		t.Errorf("missingVariable = %+v, %v; want nomad/jobs in team-a", got, ok)
	}
	for _, ev := range []*nomad.TaskEvent{
		{Type: "Template", DisplayMessage: "Missing: kv.block(svctl/x)"},
		{Type: "Started", DisplayMessage: "Task started by client"},
	} {
		if got, ok := missingVariable(alloc(ev)); ok {
			t.Errorf("event %q: missingVariable = %+v, want none", ev.DisplayMessage, got)
		}
	}
}
