package deploy

import (
	"maps"
	"testing"

	nomad "github.com/hashicorp/nomad/api"

	"microwizard/internal/svctl/record"
)

// A version's mark is written in its services' meta, and only where svctl
// records versions: the job's own meta (which Nomad would restart the
// tasks for) and a service svctl did not write stay as they were.
func TestMarkServicesChangesOnlyTheVersionsServices(t *testing.T) {
	meta := func() map[string]string {
		return record.Record{Service: "lobsters-popularity", Name: "lobpop_v1", Namespace: "default"}.Meta()
	}
	job := &nomad.Job{
		Meta: meta(),
		TaskGroups: []*nomad.TaskGroup{{
			Services: []*nomad.Service{{Name: "lobsters-popularity", Meta: meta()}, {Name: "metrics", Meta: map[string]string{"team": "ops"}}},
			Tasks:    []*nomad.Task{{Name: "app", Services: []*nomad.Service{{Name: "lobsters-popularity-task", Meta: meta()}}}},
		}},
	}
	jobMeta := maps.Clone(job.Meta)
	tg := job.TaskGroups[0]

	if !markServices(job, true) {
		t.Fatal("marking an unmarked version private changed nothing")
	}
	if tg.Services[0].Meta[record.MetaPrivate] != "1" || tg.Tasks[0].Services[0].Meta[record.MetaPrivate] != "1" {
		t.Fatalf("after marking private, the version's services' meta = %v and %v, want %s=1", tg.Services[0].Meta, tg.Tasks[0].Services[0].Meta, record.MetaPrivate)
	}
	if _, ok := tg.Services[1].Meta[record.MetaPrivate]; ok {
		t.Fatalf("a service svctl did not write was marked: %v", tg.Services[1].Meta)
	}
	if !maps.Equal(job.Meta, jobMeta) {
		t.Fatalf("the job's own meta changed to %v, want %v", job.Meta, jobMeta)
	}
	if markServices(job, true) {
		t.Fatal("marking a version private that is marked so already reported a change (the job would be written again)")
	}

	if !markServices(job, false) {
		t.Fatal("taking the mark off changed nothing")
	}
	if _, ok := tg.Services[0].Meta[record.MetaPrivate]; ok {
		t.Fatalf("after taking the mark off, the service's meta still has it: %v", tg.Services[0].Meta)
	}
	if tg.Services[0].Meta[record.MetaDeployName] != "lobpop_v1" {
		t.Fatalf("taking the mark off lost the rest of the record: %v", tg.Services[0].Meta)
	}
}
