package lobsters

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Outcome says how one call to the popularity service ended, in the terms the
// /popular page reports it.
type Outcome int

// The outcomes of a call to the popularity service.
const (
	// Answered: an instance answered 200 with its users.
	Answered Outcome = iota + 1
	// NoService: no instance could answer. The connection was refused, or
	// closed or reset before any response (an L4 proxy with no upstream), or a
	// proxy answered for the service (502, 503 that is not the service's own
	// JSON, 504). The page says NO SERVICES AVAILABLE, as the original did.
	NoService
	// ServiceError: an instance answered, with its own JSON error (a 503 when
	// its database is down, or saying it is busy, on every try) or with a
	// reply that could not be read.
	ServiceError
	// TimedOut: nothing complete came back within the upstream timeout.
	TimedOut
	// Canceled: the reader went away before the service answered.
	Canceled
)

var outcomeNames = map[Outcome]string{
	Answered:     "answered",
	NoService:    "no service",
	ServiceError: "service error",
	TimedOut:     "timed out",
	Canceled:     "canceled",
}

func (o Outcome) String() string {
	if s, ok := outcomeNames[o]; ok {
		return s
	}
	return "Outcome(" + strconv.Itoa(int(o)) + ")"
}

// NoServicesAvailable is what the Service ID line says when no instance can
// answer, word for word as in the original demo.
const NoServicesAvailable = "NO SERVICES AVAILABLE"

// PopularReply is the popularity service's answer to GET /.
type PopularReply struct {
	ServiceID string        `json:"service_id"`
	Version   string        `json:"version"`
	Instance  string        `json:"instance"`
	Index     int64         `json:"index"`
	QueryMS   *float64      `json:"query_ms"`
	Users     []PopularUser `json:"users"`
}

// PopularUser is one entry of the popularity ranking.
type PopularUser struct {
	Username string `json:"username"`
	Karma    int    `json:"karma"`
}

// serviceError is the body the service sends with a non-200 status.
type serviceError struct {
	Error string `json:"error"`
}

// Popularity is the result of one call to the popularity service.
type Popularity struct {
	Outcome Outcome
	Reply   *PopularReply // set when Outcome is Answered
	// Problem tells the reader what went wrong, for ServiceError and TimedOut.
	Problem string
	// Detail is what went wrong in full, for the log.
	Detail string
	// Elapsed is the round trip as the monolith saw it.
	Elapsed time.Duration
	// gateway: what stands in front of the instances answered in their
	// place (a 502, 503 or 504 not from the service, or no connection):
	// another try may reach an instance.
	gateway bool
	// busy: an instance answered that it is busy (isBusy): another try may
	// reach another instance, or this one with a connection free.
	busy bool
}

// retriable reports whether another try may get another answer: a gateway
// error or a busy instance. A refusal, the service's other errors (its
// database is down) and a wrong answer would be the same again.
func (p Popularity) retriable() bool { return p.gateway || p.busy }

// classifyResponse sorts out a complete HTTP answer: its status, Content-Type
// and body.
func classifyResponse(status int, contentType string, body []byte) Popularity {
	if status == http.StatusOK {
		var r PopularReply
		if err := json.Unmarshal(body, &r); err != nil {
			return Popularity{
				Outcome: ServiceError,
				Problem: "The popularity service sent an answer that could not be read.",
				Detail:  fmt.Sprintf("decode 200 answer (%s, %d bytes): %v", contentType, len(body), err),
			}
		}
		if len(r.Users) > maxPopularUsers {
			return Popularity{
				Outcome: ServiceError,
				Problem: "The popularity service's answer was too large to show.",
				Detail:  fmt.Sprintf("decode 200 answer: %d users, over the service's limit of %d", len(r.Users), maxPopularUsers),
			}
		}
		return Popularity{Outcome: Answered, Reply: &r}
	}
	if msg, ok := serviceErrorMessage(body); ok {
		return Popularity{
			Outcome: ServiceError,
			Problem: "The popularity data is unavailable right now: " + firstClause(msg),
			Detail:  fmt.Sprintf("service answered %d: %s", status, msg),
			busy:    isBusy(status, msg),
		}
	}
	// Anything else that is not a 200 came from whatever stands in front of
	// the instances (Envoy's "no healthy upstream", HAProxy's 503 page, a 502
	// or 504): no instance could answer. The original demo treated every
	// non-200 answer this way.
	return Popularity{
		Outcome: NoService,
		Detail:  fmt.Sprintf("answered %d %s: %s", status, contentType, snippet(body)),
		gateway: status == http.StatusBadGateway || status == http.StatusServiceUnavailable || status == http.StatusGatewayTimeout,
	}
}

// serviceErrorMessage returns the error of a body that is the service's own
// JSON error, {"error": "..."}.
func serviceErrorMessage(body []byte) (string, bool) {
	b := bytes.TrimSpace(body)
	if len(b) == 0 || b[0] != '{' {
		return "", false
	}
	var e serviceError
	if err := json.Unmarshal(b, &e); err != nil || strings.TrimSpace(e.Error) == "" {
		return "", false
	}
	return e.Error, true
}

// isBusy reports whether an answer of the service says it is busy: a 503
// whose JSON error's first clause is "busy" ("busy: the one database
// connection was in use for longer than 500ms"). The rule is the body's, not
// the Retry-After header the service sends with it: the header is any
// server's to send, the error is the service's own. The monolith tries again
// after a moment (gatewayBackoff), not after Retry-After's second: another try may
// reach another instance.
func isBusy(status int, msg string) bool {
	return status == http.StatusServiceUnavailable && firstClause(msg) == "busy"
}

// busyProblem is what the page says when every try found the service busy:
// "The popularity service is busy right now (tried 3 times)."
func busyProblem(tries int) string {
	if tries == 1 {
		return "The popularity service is busy right now (tried once)."
	}
	return fmt.Sprintf("The popularity service is busy right now (tried %d times).", tries)
}

// firstClause keeps the part of a service error before its first colon:
// "database unavailable: dial unix ...: connection refused" becomes
// "database unavailable". The rest is for the log, not the reader.
func firstClause(msg string) string {
	head, _, _ := strings.Cut(msg, ":")
	if head = strings.TrimSpace(head); head == "" {
		return strings.TrimSpace(msg)
	}
	return head
}

// snippet shortens a body for a log line.
func snippet(body []byte) string {
	const max = 200
	s := strings.TrimSpace(string(body))
	if len(s) > max {
		s = s[:max] + "..."
	}
	return strconv.Quote(s)
}

// timeoutProblem is what the page says when the service did not answer in
// time: "the popularity service did not answer within 20 s".
func timeoutProblem(d time.Duration) string {
	return "The popularity service did not answer within " + formatSeconds(d) + "."
}

// formatSeconds writes a duration in seconds, without trailing zeros: 20 s,
// 0.25 s.
func formatSeconds(d time.Duration) string {
	return strconv.FormatFloat(d.Seconds(), 'f', -1, 64) + " s"
}
