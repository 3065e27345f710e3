package lobsters

import (
	"fmt"
	"net/url"
	"strings"
	"time"
)

// timeAgo says how long before now t was, as Lobsters bylines do:
// "just now", "1 minute ago", "5 hours ago", "3 days ago", "2 years ago".
func timeAgo(now, t time.Time) string {
	d := now.Sub(t)
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return plural(int(d/time.Minute), "minute") + " ago"
	case d < 24*time.Hour:
		return plural(int(d/time.Hour), "hour") + " ago"
	case d < 30*24*time.Hour:
		return plural(int(d/(24*time.Hour)), "day") + " ago"
	case d < 365*24*time.Hour:
		return plural(int(d/(30*24*time.Hour)), "month") + " ago"
	default:
		return plural(int(d/(365*24*time.Hour)), "year") + " ago"
	}
}

// plural writes a count with its noun: "1 comment", "3 comments".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// domain is the host a story links to, without "www.", or "" for a text
// post or a URL without a host.
func domain(rawURL string) string {
	if rawURL == "" {
		return ""
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return ""
	}
	return strings.TrimPrefix(strings.ToLower(u.Hostname()), "www.")
}

// milliseconds writes a duration as whole milliseconds, the way the page
// reports speeds: "Query Speed: 12 ms".
func milliseconds(d time.Duration) int64 {
	return d.Round(time.Millisecond).Milliseconds()
}
