package lobsters

import (
	"strings"
	"testing"
	"time"
)

func TestClassifyResponse(t *testing.T) {
	for _, tc := range []struct {
		name        string
		status      int
		contentType string
		body        string
		want        Outcome
		problem     string
	}{
		{"answer", 200, "application/json", `{"service_id":"s","users":[{"username":"a","karma":1}]}`, Answered, ""},
		{"unreadable answer", 200, "text/html", `<html>hello</html>`, ServiceError, "could not be read"},
		{"service database down", 503, "application/json", `{"error":"database unavailable: i/o timeout"}`, ServiceError, "The popularity data is unavailable right now: database unavailable"},
		{"service busy", 503, "application/json", `{"error":"busy: all 2 database connections were in use for longer than 500ms"}`, ServiceError, "unavailable right now: busy"},
		{"service error without content type", 500, "", `{"error":"boom"}`, ServiceError, "unavailable right now: boom"},
		{"envoy no healthy upstream", 503, "text/plain", "no healthy upstream", NoService, ""},
		{"json without error", 503, "application/json", `{"status":"down"}`, NoService, ""},
		{"empty 503", 503, "", "", NoService, ""},
		{"bad gateway", 502, "text/html", "<h1>502</h1>", NoService, ""},
		{"gateway timeout", 504, "text/plain", "upstream request timeout", NoService, ""},
		{"not found at the proxy", 404, "text/plain", "404 page not found", NoService, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := classifyResponse(tc.status, tc.contentType, []byte(tc.body))
			if p.Outcome != tc.want {
				t.Errorf("outcome = %s, want %s (detail %q)", p.Outcome, tc.want, p.Detail)
			}
			if !strings.Contains(p.Problem, tc.problem) {
				t.Errorf("problem = %q, want it to contain %q", p.Problem, tc.problem)
			}
			if tc.want == Answered && (p.Reply == nil || len(p.Reply.Users) != 1) {
				t.Errorf("reply = %+v, want one user", p.Reply)
			}
			if tc.want != Answered && p.Detail == "" {
				t.Errorf("no detail for the log")
			}
		})
	}
}

func TestTimeoutProblem(t *testing.T) {
	for d, want := range map[time.Duration]string{
		20 * time.Second:       "did not answer within 20 s.",
		250 * time.Millisecond: "did not answer within 0.25 s.",
		90 * time.Second:       "did not answer within 90 s.",
	} {
		if got := timeoutProblem(d); !strings.HasSuffix(got, want) {
			t.Errorf("timeoutProblem(%s) = %q, want suffix %q", d, got, want)
		}
	}
}

// Which answers another try may change: a gateway error and the service's
// busy; not the service's other errors, nor a busy error that is no 503.
func TestRetriableAnswers(t *testing.T) {
	for _, tc := range []struct {
		name   string
		status int
		body   string
		want   bool
	}{
		{"service busy", 503, `{"error":"busy: the one database connection was in use for longer than 500ms"}`, true},
		{"busy without details", 503, `{"error":"busy"}`, true},
		{"service database down", 503, `{"error":"database unavailable"}`, false},
		{"busy but not 503", 500, `{"error":"busy: x"}`, false},
		{"not quite busy", 503, `{"error":"busybox: x"}`, false},
		{"envoy no healthy upstream", 503, "no healthy upstream", true},
		{"refusal", 403, "RBAC: access denied", false},
		{"answer", 200, `{"users":[]}`, false},
	} {
		if got := classifyResponse(tc.status, "application/json", []byte(tc.body)).retriable(); got != tc.want {
			t.Errorf("%s: retriable = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestBusyProblemCountsTheTries(t *testing.T) {
	for tries, want := range map[int]string{
		1: "The popularity service is busy right now (tried once).",
		3: "The popularity service is busy right now (tried 3 times).",
	} {
		if got := busyProblem(tries); got != want {
			t.Errorf("busyProblem(%d) = %q, want %q", tries, got, want)
		}
	}
}
