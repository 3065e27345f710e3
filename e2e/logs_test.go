package e2e

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"microwizard/internal/svctl/record"
	"microwizard/lobsters/seed"
)

// TestLogs: svctl logs on real Nomad prints every instance's lines, each
// with its instance and stream; -tail, -json and -sidecar; -f follows an
// instance started after it began, until Ctrl-C; an unknown name is an
// error.
func TestLogs(t *testing.T) {
	c := newCluster(t, seed.Small)
	for i := 0; i < 2; i++ {
		c.svctl("run", "lobsters-popularity", "lobpop_v1", "UNCOMMITTED_COPY")
	}
	ids := allocIDs(c.instances())

	out := c.stdout("logs", "lobpop_v1")
	for _, id := range ids {
		prefix := "[" + record.ShortID(id) + " stderr] "
		if !hasLine(out, prefix, "lobsters-popularity listening") {
			t.Fatalf("svctl logs has no line %q...listening for instance %s:\n%s", prefix, id, out)
		}
	}

	out = c.stdout("logs", "-tail", "1", "lobpop_v1")
	if n := strings.Count(out, " stderr] "); n != 2 {
		t.Fatalf("svctl logs -tail 1 printed %d stderr lines, want one per instance:\n%s", n, out)
	}

	var first struct {
		AllocID, Task, Stream, Line string
	}
	line, _, _ := strings.Cut(c.stdout("logs", "-json", "lobpop_v1"), "\n")
	if err := json.Unmarshal([]byte(line), &first); err != nil || first.Line == "" || first.Task != "lobsters-popularity" {
		t.Fatalf("svctl logs -json: first line %q: %+v (%v)", line, first, err)
	}

	out = c.stdout("logs", "-sidecar", "lobpop_v1")
	if !strings.Contains(out, "envoy") {
		t.Fatalf("svctl logs -sidecar shows no Envoy line:\n%s", out)
	}

	c.svctlFails(1, "no running instances named", "logs", "lobpop_v9")

	// -f, then a third instance: its lines arrive.
	f := startSvctl(t, c.bin, c.repo, c.env, "logs", "-f", "-tail", "0", "lobpop_v1")
	c.svctl("run", "lobsters-popularity", "lobpop_v1", "UNCOMMITTED_COPY")
	var third string
	for _, id := range allocIDs(c.instances()) {
		if !strings.Contains(strings.Join(ids, " "), id) {
			third = id
		}
	}
	c.waitFor("the new instance's lines in svctl logs -f", 30*time.Second, func() bool {
		return hasLine(f.text(), "["+record.ShortID(third)+" stderr] ", "listening")
	})
	f.stop()
}

// hasLine reports whether text has a line starting with prefix and holding
// want.
func hasLine(text, prefix, want string) bool {
	for _, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(l, prefix) && strings.Contains(l, want) {
			return true
		}
	}
	return false
}
