package reader

import (
	"html"
	"net/url"
	"regexp"
)

// confirmFormRE reads the form of the monolith's confirmation page of a
// personal version: its action and its name, return and token fields.
var confirmFormRE = regexp.MustCompile(`(?s)<form method="post" action="([^"]*)".*?name="name" value="([^"]*)".*?name="return" value="([^"]*)".*?name="token" value="([^"]*)"`)

// ConfirmForm is the form of the confirmation page a ?svctl-version=NAME
// link opens: where it posts, and what a reader's browser posts when they
// choose the version. ok is false when page has no such form.
func ConfirmForm(page string) (action string, form url.Values, ok bool) {
	m := confirmFormRE.FindStringSubmatch(page)
	if m == nil {
		return "", nil, false
	}
	return html.UnescapeString(m[1]), url.Values{
		"name":   {html.UnescapeString(m[2])},
		"return": {html.UnescapeString(m[3])},
		"token":  {html.UnescapeString(m[4])},
	}, true
}
