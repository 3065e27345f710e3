package deploy

import (
	"fmt"
	"testing"

	consul "github.com/hashicorp/consul/api"
	nomad "github.com/hashicorp/nomad/api"
)

// TestPsTakesAsLongWithTwentyVersions: ps on a team's cluster asks the
// agents the same questions with one version running as with twenty (and
// two services), so it takes no longer: each instance is found with its
// health in answers ps already has.
func TestPsTakesAsLongWithTwentyVersions(t *testing.T) {
	asked := func(versions int) (rows []Row, nomadAsked, consulAsked int) {
		c, fn, fc := newFakes(t, nil)
		for v := 0; v < versions; v++ {
			service := []string{"web", "api"}[v%2]
			job := fmt.Sprintf("%s-v%d", service, v)
			fn.jobs = append(fn.jobs, svctlJob(job, service, fmt.Sprintf("v%d", v), "running", v))
			var allocs []*nomad.AllocationListStub
			for i := 0; i < 2; i++ {
				alloc := fmt.Sprintf("%08d-0000-0000-0000-%012d", v, i)
				allocs = append(allocs, stub(alloc, job, "run", "running"))
				fc.entries[service] = append(fc.entries[service], entry(service, alloc, "10.0.0.5", 8080+v*2+i, "passing"))
				fc.entries[service+"-sidecar-proxy"] = append(fc.entries[service+"-sidecar-proxy"], entry(service+"-sidecar-proxy", alloc, "10.0.0.5", 25000+v*2+i, "passing"))
			}
			fn.allocs[job] = [][]*nomad.AllocationListStub{allocs}
		}
		rows, err := c.Instances("")
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			if r.ConsulHealth != consul.HealthPassing || r.Address == "" {
				t.Errorf("ps row %+v: want passing, at its sidecar's address", r)
			}
		}
		return rows, len(fn.all()), len(fc.requests)
	}
	rows1, n1, c1 := asked(2)
	rows20, n20, c20 := asked(20)
	if len(rows1) != 4 || len(rows20) != 40 {
		t.Fatalf("ps shows %d and %d instances, want 4 and 40", len(rows1), len(rows20))
	}
	if n20 != n1 || c20 != c1 {
		t.Errorf("ps asked Nomad %d and Consul %d times with 20 versions, %d and %d with 2: it should not grow", n20, c20, n1, c1)
	}
}
