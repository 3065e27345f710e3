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
