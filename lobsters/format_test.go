package lobsters

import (
	"fmt"
	"testing"
	"time"
)

func TestTimeAgo(t *testing.T) {
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	for d, want := range map[time.Duration]string{
		-time.Minute:                 "just now", // a clock a little ahead
		30 * time.Second:             "just now",
		time.Minute:                  "1 minute ago",
		59 * time.Minute:             "59 minutes ago",
		time.Hour:                    "1 hour ago",
		5*time.Hour + 59*time.Minute: "5 hours ago",
		24 * time.Hour:               "1 day ago",
		45 * 24 * time.Hour:          "1 month ago",
		800 * 24 * time.Hour:         "2 years ago",
	} {
		if got := timeAgo(now, now.Add(-d)); got != want {
			t.Errorf("timeAgo(%s before) = %q, want %q", d, got, want)
		}
	}
}

func TestDomain(t *testing.T) {
	for in, want := range map[string]string{
		"https://www.Example.com/a?b": "example.com",
		"http://go.dev:8080/blog":     "go.dev",
		"":                            "",
		"not a url with spaces":       "",
		"::bad":                       "",
	} {
		if got := domain(in); got != want {
			t.Errorf("domain(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestThreadComments(t *testing.T) {
	flat := []*Comment{
		{ID: 1},
		{ID: 2, ParentID: 1},
		{ID: 3},
		{ID: 4, ParentID: 2},
		{ID: 5, ParentID: 99}, // parent missing: shown at the top level
		{ID: 6, ParentID: 1},
	}
	roots := threadComments(flat)
	if got := ids(roots); got != "[1 3 5]" {
		t.Fatalf("roots = %s, want [1 3 5]", got)
	}
	if got := ids(roots[0].Replies); got != "[2 6]" {
		t.Errorf("replies of 1 = %s, want [2 6]", got)
	}
	if got := ids(roots[0].Replies[0].Replies); got != "[4]" {
		t.Errorf("replies of 2 = %s, want [4]", got)
	}
}

func ids(cs []*Comment) string {
	out := make([]int64, len(cs))
	for i, c := range cs {
		out[i] = c.ID
	}
	return fmt.Sprint(out)
}
