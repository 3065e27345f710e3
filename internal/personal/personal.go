// Package personal carries a personal version's routing key: the member
// svctl-version=NAME of the W3C baggage header (https://www.w3.org/TR/baggage/).
// A request whose baggage names a private version is routed to that version's
// instances; every other request goes to the shared versions.
//
// The monolith reads and writes the member with Version and WithVersion; svctl
// routes on it with HeaderRegex, the pattern Envoy matches against the whole
// header. Both follow the same syntax, so a header the monolith sends is one
// the mesh routes.
package personal

import (
	"regexp"
	"strings"

	"go.opentelemetry.io/otel/baggage"
)

// Header is the HTTP header that carries the member.
const Header = "baggage"

// Member is the key of the baggage member that names a version.
const Member = "svctl-version"

// namePattern is a deployment name as svctl accepts it (request.ValidateName).
var namePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{2,39}$`)

// ValidName reports whether name can be a deployment name, and so a version
// the member may name.
func ValidName(name string) bool { return namePattern.MatchString(name) }

// Version returns the version the baggage header values name, or "" when they
// name none. Values that are not valid baggage name none: they are ignored,
// never an error, as the W3C specification asks of a malformed header.
func Version(values []string) string {
	b, err := baggage.Parse(strings.Join(values, ","))
	if err != nil {
		return ""
	}
	if v := b.Member(Member).Value(); ValidName(v) {
		return v
	}
	return ""
}

// WithVersion returns the baggage to send on: the members of values, if they
// are valid baggage, with the member naming version (none when version is "").
// Malformed incoming baggage is dropped, as a propagator drops it.
func WithVersion(values []string, version string) string {
	b, err := baggage.Parse(strings.Join(values, ","))
	if err != nil {
		b = baggage.Baggage{}
	}
	return withMember(b, version)
}

// Forward returns, from one reading of the incoming baggage header values,
// the version a call asks for and the baggage to send on: chosen when it is
// a valid name (a reader's choice in the browser), else the version the
// incoming baggage names; and the incoming members with the member naming
// that version. Malformed incoming baggage is dropped, as in WithVersion.
func Forward(values []string, chosen string) (version, baggageOut string) {
	b, err := baggage.Parse(strings.Join(values, ","))
	if err != nil {
		b = baggage.Baggage{}
	}
	version = chosen
	if !ValidName(version) {
		if version = b.Member(Member).Value(); !ValidName(version) {
			version = ""
		}
	}
	return version, withMember(b, version)
}

// withMember is b with the member naming version, or without the member
// when version is "".
func withMember(b baggage.Baggage, version string) string {
	b = b.DeleteMember(Member)
	if version != "" && ValidName(version) {
		if m, err := baggage.NewMemberRaw(Member, version); err == nil {
			if nb, err := b.SetMember(m); err == nil {
				b = nb
			}
		}
	}
	return b.String()
}

// HeaderRegex is the RE2 pattern, matched against the whole baggage header,
// of a list that has the member naming version: anywhere in the list, with
// optional whitespace around its parts and properties after its value
// ("svctl-version=NAME;prop=x").
func HeaderRegex(version string) string {
	const ows = `[ \t]*`
	return `^(.*,)?` + ows + regexp.QuoteMeta(Member) + ows + `=` + ows + regexp.QuoteMeta(version) + ows + `(;[^,]*)?(,.*)?$`
}
