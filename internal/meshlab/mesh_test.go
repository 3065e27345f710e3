package meshlab_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"microwizard/lobsters/reader"

	"microwizard/internal/meshlab"
	"microwizard/internal/testenv/mariadbtest"
	"microwizard/lobsters/seed"
)

// newLab starts a lab on a fresh database seeded with size, and closes it when
// the test ends. Without consul or envoy on PATH the test is skipped, except
// under CI, where it fails.
func newLab(t *testing.T, size seed.Size) *meshlab.Lab {
	t.Helper()
	requireMeshTools(t)
	db := mariadbtest.New(t)
	ctx := context.Background()
	if _, err := seed.Seed(ctx, db.DB, size, 1); err != nil {
		t.Fatalf("seed: %v", err)
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	lab, err := meshlab.Start(ctx, meshlab.Options{RepoRoot: root, DSN: db.DSN, Logf: t.Logf})
	if err != nil {
		t.Fatalf("start the lab: %v", err)
	}
	t.Cleanup(func() {
		if err := lab.Close(); err != nil {
			t.Errorf("close the lab: %v", err)
		}
	})
	return lab
}

// requireMeshTools skips the test without consul or envoy on PATH, except
// under CI, where it fails.
func requireMeshTools(t *testing.T) {
	t.Helper()
	for _, bin := range []string{"consul", "envoy"} {
		if _, err := exec.LookPath(bin); err != nil {
			msg := fmt.Sprintf("meshlab: no %s on PATH: run scripts/setup and put ~/.cache/microwizard/bin on PATH (`just test` does)", bin)
			if os.Getenv("CI") != "" {
				t.Fatal(msg)
			}
			t.Skip(msg)
		}
	}
}

// addInstances runs n instances of binary under version.
func addInstances(t *testing.T, lab *meshlab.Lab, n int, version, binary string) []*meshlab.Instance {
	t.Helper()
	var out []*meshlab.Instance
	for k := 0; k < n; k++ {
		i, err := lab.AddInstance(context.Background(), version, binary)
		if err != nil {
			t.Fatalf("add instance %d of %s: %v", k+1, version, err)
		}
		out = append(out, i)
	}
	return out
}

// client is a reader's browser: generous timeout, as the slow version needs.
var client = &http.Client{Timeout: 60 * time.Second}

// popular loads /popular and fails the test unless it is a complete page.
func popular(t *testing.T, lab *meshlab.Lab) reader.Page {
	t.Helper()
	p, err := lab.Get(context.Background(), client, "/popular")
	if err != nil {
		t.Fatalf("/popular: %v", err)
	}
	if !p.PopularOK() {
		t.Fatalf("/popular is not a complete page: %v", p)
	}
	return p
}

// TestSpread: three instances share 300 sequential /popular loads, each
// answering at least a fifth of them.
func TestSpread(t *testing.T) {
	lab := newLab(t, seed.Small)
	instances := addInstances(t, lab, 3, "lobpop_v1", lab.EfficientBinary())

	const n = 300
	answered := map[string]int{}
	for k := 0; k < n; k++ {
		answered[popular(t, lab).Instance]++
	}
	for _, i := range instances {
		share := float64(answered[i.AllocID]) / n
		t.Logf("%s answered %d of %d (%.0f %%)", i.AllocID[:8], answered[i.AllocID], n, 100*share)
		if share < 0.20 {
			t.Errorf("instance %s answered %.0f %% of %d loads, want at least 20 %%: %v", i.AllocID, 100*share, n, answered)
		}
	}
	if len(answered) != 3 {
		t.Errorf("answers came from %d instances, want the 3 running: %v", len(answered), answered)
	}
}

// TestFailingHealthLeavesRotation: an instance whose /health starts failing
// (its database is cut) is marked critical in Consul within a few seconds,
// and once the monolith's Envoy has taken that up, the instance itself gets
// no more requests; with its database back it returns to rotation.
//
// Requests are counted at the instance, by the "served" lines of its log,
// not by the pages: with its database cut the instance answers 503, which
// Envoy and the monolith retry on another instance, so every page comes from
// another one whether or not the failing instance left the pool.
func TestFailingHealthLeavesRotation(t *testing.T) {
	lab := newLab(t, seed.Small)
	instances := addInstances(t, lab, 3, "lobpop_v1", lab.EfficientBinary())
	victim := instances[0]

	// In rotation it gets its turns, and its log counts them: the count
	// that must stop growing later is live.
	const warmup = 30
	pages := 0
	for k := 0; k < warmup; k++ {
		if popular(t, lab).Instance == victim.AllocID {
			pages++
		}
	}

	victim.CutDB()
	cut := time.Now()
	const limit = 15 * time.Second
	for {
		status, err := victim.Health()
		if err != nil {
			t.Fatal(err)
		}
		if status == "critical" {
			break
		}
		if time.Since(cut) > limit {
			t.Fatalf("%s still %s in Consul %s after its database was cut", victim.AllocID, status, limit)
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("critical in Consul %s after the cut", time.Since(cut).Round(time.Millisecond))
	if err := victim.WaitRotation(context.Background(), false); err != nil {
		t.Fatal(err)
	}
	t.Logf("out of the monolith's Envoy's endpoints %s after the cut", time.Since(cut).Round(time.Millisecond))

	before := served(t, victim)
	if total(before) == 0 || before[http.StatusOK] < pages {
		t.Fatalf("%s made %d of the %d pages before the cut, but its log counts %d answers to / (by status: %v): the count does not follow its requests",
			victim.AllocID, pages, warmup, total(before), before)
	}
	t.Logf("before the cut %s made %d of %d pages; its log counts %d answers (by status: %v)", victim.AllocID[:8], pages, warmup, total(before), before)

	const after = 60
	for k := 0; k < after; k++ {
		popular(t, lab)
	}
	now := served(t, victim)
	if got := total(now) - total(before); got > 0 {
		t.Errorf("%s, critical in Consul and out of the monolith's Envoy, still answered %d requests to / during the next %d loads (by status, before: %v, after: %v)",
			victim.AllocID, got, after, before, now)
	} else {
		t.Logf("%s answered no request during the next %d loads", victim.AllocID[:8], after)
	}

	// Its database back, it passes again and is back in rotation.
	victim.RestoreDB()
	back := time.Now()
	for {
		if p := popular(t, lab); p.Instance == victim.AllocID {
			break
		}
		if time.Since(back) > limit {
			t.Fatalf("%s answered no load within %s of getting its database back", victim.AllocID, limit)
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("back in rotation %s after its database came back", time.Since(back).Round(time.Millisecond))
}

// served returns the requests to / the instance has answered, by status.
func served(t *testing.T, i *meshlab.Instance) map[int]int {
	t.Helper()
	m, err := i.Served()
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// total sums the counts of a map by status.
func total(byStatus map[int]int) int {
	n := 0
	for _, c := range byStatus {
		n += c
	}
	return n
}

// TestNoIntentionNoAccess: a service that no intention allows to call
// lobsters-popularity is refused by the instance's sidecar, while the monolith
// is served.
func TestNoIntentionNoAccess(t *testing.T) {
	lab := newLab(t, seed.Small)
	addInstances(t, lab, 1, "lobpop_v1", lab.EfficientBinary())
	intruder, err := lab.AddCaller(context.Background(), "intruder", "lobsters-popularity")
	if err != nil {
		t.Fatal(err)
	}

	resp, err := client.Get(intruder.UpstreamURL)
	switch {
	case err != nil:
		if !isReset(err) {
			t.Fatalf("the intruder's call failed, but not as a refusal: %v", err)
		}
		t.Logf("the intruder's call was cut off: %v", err)
	default:
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Fatalf("the intruder got %s (%q), want 403 Forbidden", resp.Status, strings.TrimSpace(string(body)))
		}
		t.Logf("the intruder got %s: %s", resp.Status, strings.TrimSpace(string(body)))
	}
	popular(t, lab)
}

// upstreamRequests returns the requests each listener configuration of the
// monolith's sidecar has served.
func upstreamRequests(t *testing.T, lab *meshlab.Lab) map[string]uint64 {
	t.Helper()
	m, err := lab.UpstreamRequests(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// isReset reports whether err is a connection cut off before an answer.
func isReset(err error) bool {
	return errors.Is(err, syscall.ECONNRESET) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
}

// TestSlowShareByProfile runs three lobpop_v1 instances and one of the slow
// lobpop_v2, and counts the /popular loads that take over a second under each
// profile, switched live. Under tutorial the slow instance keeps its turns of
// the round robin, so about a quarter of the loads are slow, as in the
// original demo; under resilient its tries are cut short and retried
// elsewhere, so few or none are. No load may fail.
func TestSlowShareByProfile(t *testing.T) {
	lab := newLab(t, seed.Default.Scale(0.4))
	addInstances(t, lab, 3, "lobpop_v1", lab.EfficientBinary())
	slowBin, err := lab.SlowBinary(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	addInstances(t, lab, 1, "lobpop_v2", slowBin)

	const n = 40
	slow := map[string]int{}
	for _, profile := range []string{"tutorial", "resilient"} {
		if err := lab.SetProfile(context.Background(), profile); err != nil {
			t.Fatal(err)
		}
		before := upstreamRequests(t, lab)
		over, byV2 := 0, 0
		var slowest time.Duration
		for k := 0; k < n; k++ {
			p := popular(t, lab)
			if p.Took > time.Second {
				over++
			}
			if p.Version == "lobpop_v2" {
				byV2++
			}
			slowest = max(slowest, p.Took)
		}
		slow[profile] = over
		t.Logf("%s: %d of %d loads took over 1 s (%.1f %%); lobpop_v2 answered %d; the slowest took %s",
			profile, over, n, 100*float64(over)/n, byV2, slowest.Round(time.Millisecond))
		// Which listener configuration of the monolith's sidecar served them:
		// connections opened before a live switch keep the old one.
		for name, count := range upstreamRequests(t, lab) {
			if d := count - before[name]; d > 0 && name != "admin" {
				t.Logf("%s:   %d served by the sidecar's listener %q", profile, d, name)
			}
		}
		// Round robin over four instances: the slow one gets its turns.
		if profile == "tutorial" && byV2 == 0 {
			t.Errorf("under the tutorial profile lobpop_v2 answered none of %d loads, want its turns of the round robin", n)
		}
	}

	// The bounds, chosen to hold on a busy two-core machine. Sequential
	// loads never find lobpop_v2's one database connection taken, so under
	// tutorial it answers every fourth load, slowly: about n/4 slow loads
	// (10 of 40 measured). At least n/8 leaves room for some of its turns
	// to go elsewhere while still saying that slow loads are the rule the
	// demo shows, not the odd stall of the machine. Under resilient the share is near
	// nothing (0 of 40 measured): a load is slow only if several 200 ms
	// tries in a row land on lobpop_v2, or the machine stalls. Rather than
	// a fixed count that a stalling machine could exceed, resilient's count
	// is compared with tutorial's, measured by the same test on the same
	// machine moments before: at most a quarter of it. A resilient profile
	// that did nothing would come out about equal, and fail.
	tutorial, resilient := slow["tutorial"], slow["resilient"]
	if tutorial < n/8 {
		t.Errorf("under the tutorial profile %d of %d loads took over 1 s, want at least %d: lobpop_v2 is slow and keeps its turns of the round robin", tutorial, n, n/8)
	}
	if 4*resilient > tutorial {
		t.Errorf("under the resilient profile %d of %d loads took over 1 s, want at most a quarter of the tutorial profile's %d", resilient, n, tutorial)
	}
}
