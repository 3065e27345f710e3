package logs

import (
	"strings"
	"testing"
	"time"

	nomad "github.com/hashicorp/nomad/api"
)

// feedAll runs bytes through a follower in chunks of n, as frames come, and
// returns the lines it shows.
func feedAll(opts Options, backlog int64, skipFirst bool, data string, n int) []string {
	var got []string
	f := &follower{alloc: &nomad.Allocation{ID: "a1"}, task: "t", stream: "stdout", opts: opts,
		backlog: backlog, skipFirst: skipFirst, emit: func(l Line) { got = append(got, l.Text) }}
	for len(data) > 0 {
		k := min(n, len(data))
		f.feed([]byte(data[:k]))
		data = data[k:]
	}
	f.flush()
	return got
}

func TestTailShowsTheLastLinesThenEverythingNew(t *testing.T) {
	old := "cut-off part\nold 1\nold 2\nold 3\n"
	fresh := "new 1\nnew 2\nunfinished"
	for _, chunk := range []int{1, 3, 7, 1000} {
		got := feedAll(Options{Tail: 2, Follow: true}, int64(len(old)), true, old+fresh, chunk)
		want := []string{"old 2", "old 3", "new 1", "new 2", "unfinished"}
		if strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("chunks of %d: got %q, want %q", chunk, got, want)
		}
	}
	// The whole file fits: its first line is whole and may be shown.
	if got := feedAll(Options{Tail: 5}, 12, false, "one\ntwo\nthr\n", 4); strings.Join(got, "|") != "one|two|thr" {
		t.Errorf("a short log: got %q", got)
	}
	// No tail: everything.
	if got := feedAll(Options{Tail: -1}, 0, false, "a\nb\n", 1); strings.Join(got, "|") != "a|b" {
		t.Errorf("no tail: got %q", got)
	}
}

func TestSinceUsesTheLinesTimestamps(t *testing.T) {
	now := time.Now().UTC()
	old, recent := now.Add(-time.Hour), now.Add(-time.Second)
	data := "time=" + old.Format(time.RFC3339Nano) + " level=INFO msg=old\n" +
		"continuation of old\n" +
		"time=" + recent.Format(time.RFC3339Nano) + " level=INFO msg=recent\n" +
		"continuation of recent\n" +
		"[" + now.Local().Format("2006-01-02 15:04:05.000") + "][7][info][main] envoy line\n"
	var got []string
	later := "an old-looking line written after the log was opened\n"
	f := &follower{alloc: &nomad.Allocation{ID: "a1"}, opts: Options{Tail: -1, Since: time.Minute},
		cutoff: now.Add(-time.Minute), existing: int64(len(data)), emit: func(l Line) { got = append(got, l.Text) }}
	f.feed([]byte(data))
	f.feed([]byte(later))
	f.flush()
	if len(got) != 4 || !strings.Contains(got[0], "msg=recent") || got[1] != "continuation of recent" || !strings.Contains(got[2], "envoy line") || got[3]+"\n" != later {
		t.Fatalf("--since 1m showed %q, want the recent line, its continuation, the Envoy line and the line written later", got)
	}
}

func TestTimestamp(t *testing.T) {
	for _, c := range []struct {
		line string
		ok   bool
	}{
		{"time=2026-11-29T20:55:29.123Z level=INFO msg=x", true},
		{"[2026-11-29 20:55:29.123][12][info][main] starting", true},
		{"2026-11-29T20:55:29Z something", true},
		{"no time here", false},
		{"[short]", false},
		{"[" + strings.Repeat("x", 23), false}, // 24 bytes: no panic
		{"[" + strings.Repeat("x", 24), false},
	} {
		if _, ok := Timestamp(c.line); ok != c.ok {
			t.Errorf("Timestamp(%q) ok = %v, want %v", c.line, ok, c.ok)
		}
	}
}
