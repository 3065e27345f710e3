// Package reader reads the monolith's pages as a person at a browser would:
// the status, how long the page took, and for /popular who answered and how
// many users it listed. The end-to-end tests, the mesh lab's tests and the
// benchmarks judge pages with it; it lives beside the pages it reads.
package reader

import (
	"context"
	"fmt"
	"html"
	"io"
	"net/http"
	"regexp"
	"strings"
	"time"
)

// Page is what a reader sees of a page of the monolith; for /popular, who
// answered and how many users it listed.
type Page struct {
	URL    string
	Status int
	Took   time.Duration // from sending the request to the end of the body
	// NoService is /popular's "Service ID: NO SERVICES AVAILABLE".
	NoService bool
	// Version, Instance and ServiceID are what /popular's "Service ID:"
	// line says of the instance that answered
	// ("lobpop_v1 · instance <alloc> · <service id> · request #n").
	Version, Instance, ServiceID string
	// Users is the number of users /popular lists.
	Users int
	// Problem is the notice a page shows when something went wrong.
	Problem string
}

var (
	tagRE       = regexp.MustCompile(`<[^>]*>`)
	serviceIDRE = regexp.MustCompile(`Service ID:\s*([^\n]*)`)
	noticeRE    = regexp.MustCompile(`(?s)<p class="notice"[^>]*>(.*?)</p>`)
)

// userItem starts each user of /popular's list.
const userItem = `<li><a class="user"`

// Get fetches url and reads it as a reader would. An error means no
// complete answer arrived.
func Get(ctx context.Context, client *http.Client, url string) (Page, error) {
	p := Page{URL: url}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return p, err
	}
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		p.Took = time.Since(start)
		return p, fmt.Errorf("GET %s: %w", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	p.Took = time.Since(start)
	p.Status = resp.StatusCode
	if err != nil {
		return p, fmt.Errorf("GET %s: read: %w", url, err)
	}
	src := string(body)
	if m := noticeRE.FindStringSubmatch(src); m != nil {
		p.Problem = strings.TrimSpace(html.UnescapeString(tagRE.ReplaceAllString(m[1], "")))
	}
	p.Users = strings.Count(src, userItem)
	text := html.UnescapeString(tagRE.ReplaceAllString(src, ""))
	if m := serviceIDRE.FindStringSubmatch(text); m != nil {
		id := strings.TrimSpace(m[1])
		p.NoService = strings.Contains(id, "NO SERVICES AVAILABLE")
		parts := strings.Split(id, "·")
		for k := range parts {
			parts[k] = strings.TrimSpace(parts[k])
		}
		if len(parts) >= 3 {
			p.Version = parts[0]
			p.Instance = strings.TrimPrefix(parts[1], "instance ")
			p.ServiceID = parts[2]
		}
	}
	return p, nil
}

// PopularOK reports whether p is a complete /popular from some instance:
// 200, users listed, who answered, no problem shown.
func (p Page) PopularOK() bool {
	return p.Status == http.StatusOK && !p.NoService && p.Problem == "" && p.Version != "" && p.Instance != "" && p.Users > 0
}

// String sums p up for a log line.
func (p Page) String() string {
	s := fmt.Sprintf("%d in %s", p.Status, p.Took.Round(time.Millisecond))
	switch {
	case p.NoService:
		s += ", NO SERVICES AVAILABLE"
	case p.Version != "":
		s += fmt.Sprintf(", %s/%.8s, %d users", p.Version, p.Instance, p.Users)
	}
	if p.Problem != "" {
		s += ", problem: " + p.Problem
	}
	return s
}
