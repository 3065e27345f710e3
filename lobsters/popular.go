package lobsters

import (
	"context"
	"errors"
	"html/template"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"time"
)

// PopularHeading is the heading of /popular, as in the original demo.
const PopularHeading = "The Most Popular Users (by Karma Points!)"

// popularView is the body of /popular.
type popularView struct {
	Heading string
	// NoService is set when no instance could answer; the Service ID line
	// then says NO SERVICES AVAILABLE and there are no users.
	NoService bool
	Reply     *PopularReply // the answer, when an instance gave one
	Who       []whoPart     // who answered, for the Service ID line
	UserList  template.HTML // Reply's users as <li> items (userListHTML)
	Problem   string        // what went wrong, for the other failures
	// QuerySpeedMS is the round trip as the monolith saw it.
	QuerySpeedMS int64
	// ServiceQuery is the service's own query time ("3 ms"), if it said.
	ServiceQuery string
	// Unserved is the version the request asked for when another version
	// answered: the mesh found no healthy instance of it and fell back to
	// the shared versions.
	Unserved string
}

// popular renders "/popular": it asks the popularity service, timing the
// round trip, and shows who answered and the users by karma. Whatever the
// service does, the page renders; at worst it is slow. The call carries the
// request's baggage and the personal version asked for (serviceBaggage); the
// page says when another version answered.
func (a *App) popular(w http.ResponseWriter, r *http.Request) error {
	version, baggage := a.serviceBaggage(r)
	p := a.pop.Fetch(r.Context(), baggage)
	if p.Outcome == NoService {
		p = a.whyNoService(r.Context(), p)
	}
	a.logPopularity(r, p)
	if p.Outcome == Canceled {
		return nil // the reader left; nobody to render for
	}
	v := popularView{
		Heading:      PopularHeading,
		NoService:    p.Outcome == NoService,
		Reply:        p.Reply,
		Problem:      p.Problem,
		QuerySpeedMS: milliseconds(p.Elapsed),
	}
	if p.Reply != nil {
		v.Who = who(p.Reply)
		v.UserList = userListHTML(p.Reply.Users)
		// An answer that does not say its version cannot tell a fallback.
		if version != "" && p.Reply.Version != "" && p.Reply.Version != version {
			v.Unserved = version
		}
	}
	if p.Reply != nil && p.Reply.QueryMS != nil {
		v.ServiceQuery = strconv.FormatFloat(math.Round(*p.Reply.QueryMS*100)/100, 'f', -1, 64) + " ms"
	}
	a.render(w, r, http.StatusOK, "popular", view{Title: "Most Popular Users", Nav: "popular", Body: v})
	return nil
}

// whyNoService tells the two reasons no instance answers apart. The
// instances' health checks ping the database the service reads, which is
// this monolith's: with it down, every instance fails its check, Consul takes
// them all out of the upstream's endpoints and the sidecar answers in their
// place (503, "no healthy upstream"). Then the true thing to say is that the
// data is unavailable, not that no service runs.
func (a *App) whyNoService(ctx context.Context, p Popularity) Popularity {
	ctx, cancel := context.WithTimeout(ctx, min(a.cfg.DBTimeout, time.Second))
	defer cancel()
	err := a.db.PingContext(ctx)
	switch {
	case err == nil:
		return p
	case errors.Is(ctx.Err(), context.Canceled):
		p.Outcome = Canceled // the reader left during the ping
		return p
	}
	p.Outcome = ServiceError
	p.Problem = "The popularity data is unavailable right now: database unavailable"
	p.Detail += "; the database does not answer either, so the instances fail their health checks"
	return p
}

// whoPart is one piece of the Service ID line: the version, the instance,
// the service ID or the request number, whichever the service sent.
type whoPart struct {
	Kind   string // "version", "instance", "sid", "index": the CSS class is who-Kind
	Prefix string // a word before the value, e.g. "instance"
	Value  string
}

// who lists what the answering instance said about itself, in the order the
// page shows it: version, instance, service ID, request number.
func who(r *PopularReply) []whoPart {
	var parts []whoPart
	add := func(kind, prefix, value string) {
		if value != "" {
			parts = append(parts, whoPart{Kind: kind, Prefix: prefix, Value: value})
		}
	}
	add("version", "", r.Version)
	add("instance", "instance", r.Instance)
	add("sid", "", r.ServiceID)
	if r.Index > 0 {
		add("index", "", "request #"+strconv.FormatInt(r.Index, 10))
	}
	return parts
}

// logPopularity logs a call that did not end with an answer, once, with the
// details the page leaves out.
func (a *App) logPopularity(r *http.Request, p Popularity) {
	level := slog.LevelWarn
	switch p.Outcome {
	case Answered:
		return
	case Canceled:
		level = slog.LevelDebug
	}
	a.log.Log(r.Context(), level, "popularity service call failed",
		"outcome", p.Outcome.String(), "url", a.cfg.PopularityURL,
		"elapsed_ms", milliseconds(p.Elapsed), "detail", p.Detail)
}
