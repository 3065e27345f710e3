package lobsters

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"time"
)

// maxPopularBody bounds how much of an answer the monolith reads: the most
// users the service sends (maxPopularUsers) take about 100 KB, and the page
// shows them all; a bigger answer is the instance's error, never a bigger
// page.
const maxPopularBody = 1 << 20

// maxPopularUsers is the service's own limit on a list (popularity.MaxLimit;
// a test keeps them the same).
const maxPopularUsers = 1000

// After a gateway error or a busy answer the monolith tries again,
// gatewayRetries times at most, after a pause of about gatewayPause before
// the first retry and four times that before the next (gatewayBackoff).
const (
	gatewayRetries = 2
	gatewayPause   = 25 * time.Millisecond
)

// gatewayBackoff is the pause before retry n (1, 2, ...): gatewayPause
// times 4^(n-1), from half to one and a half of that at random. The
// pauses grow because what failed a try often lasts a moment: Envoy refuses
// retries while 3 are in flight (its circuit breaker; Consul 1.14 cannot
// raise it), and retries pile up while a killed instance is still listed
// (least request prefers it: nothing is in flight there). Two fixed pauses
// of 20 ms fell within one such moment: 2 loads in 198 failed after a kill
// -9, measured. The jitter keeps the requests that failed together from
// trying again together.
func gatewayBackoff(n int) time.Duration {
	base := gatewayPause << (2 * (n - 1))
	return base/2 + rand.N(base)
}

// sleepCtx waits d, or less if ctx ends first (then its error).
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// popularityClient calls the popularity service. It is made once per App and
// shared by every /popular request: one tuned Transport, its connection pool,
// no per-request setup.
type popularityClient struct {
	url     string
	timeout time.Duration
	http    *http.Client
}

// newPopularityClient builds the shared client from the configuration.
func newPopularityClient(cfg Config) *popularityClient {
	dialTimeout := min(5*time.Second, cfg.PopularityTimeout)
	tr := &http.Transport{
		// The service is reached directly (a local Connect upstream or
		// proxy), never through an HTTP_PROXY from the environment.
		Proxy: nil,
		DialContext: (&net.Dialer{
			Timeout:   dialTimeout,
			KeepAlive: 30 * time.Second,
		}).DialContext,
		DisableKeepAlives:      !cfg.PopularityKeepAlive,
		MaxIdleConns:           128,
		MaxIdleConnsPerHost:    128, // the default of 2 would close most connections under load
		IdleConnTimeout:        60 * time.Second,
		TLSHandshakeTimeout:    dialTimeout,
		ExpectContinueTimeout:  time.Second,
		MaxResponseHeaderBytes: 64 << 10,
	}
	return &popularityClient{
		url:     cfg.PopularityURL,
		timeout: cfg.PopularityTimeout,
		// No Client.Timeout: the per-call context carries the deadline, so
		// a reader who leaves also cancels the call.
		// A redirect is the service's answer, not somewhere to go.
		http: &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }},
	}
}

// Fetch asks the service for the most popular users and classifies how the
// call ended. It never fails: every ending is a Popularity the page can show.
// A non-empty baggage goes with the call as its baggage header, which the
// mesh routes on (see serviceBaggage).
func (c *popularityClient) Fetch(ctx context.Context, baggage string) Popularity {
	callCtx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	start := time.Now()
	p := c.fetch(callCtx, baggage)
	tries := 1
	for ; p.retriable() && tries <= gatewayRetries && callCtx.Err() == nil; tries++ {
		// Again, after a pause. What stands in front of the instances
		// answered in their place (no connection, Envoy's 502, 503 or 504):
		// an instance that just left, or retries Envoy would not make
		// because too many were in flight (its circuit breaker allows 3 at
		// once, and Consul 1.14 cannot raise that). Another try, a moment
		// later, usually reaches an instance; with none running it costs
		// the two pauses (about 125 ms, 190 at most). Or an instance answered busy (all its database
		// connections in use past its wait): another try may reach another
		// instance, or this one with a connection free.
		if sleepCtx(callCtx, gatewayBackoff(tries)) != nil {
			break
		}
		earlier := p.Detail
		p = c.fetch(callCtx, baggage)
		p.Detail = earlier + "; tried again: " + p.Detail
	}
	if p.busy {
		p.Problem = busyProblem(tries)
	}
	p.Elapsed = time.Since(start)
	if p.Outcome == 0 { // the call's context ended first
		if ctx.Err() != nil {
			p.Outcome, p.Problem = Canceled, "The request was canceled."
		} else {
			p.Outcome, p.Problem = TimedOut, timeoutProblem(c.timeout)
		}
	}
	return p
}

// fetch does the round trip. A transport error comes back as NoService,
// or with no Outcome when the call's context ended, which Fetch sorts out.
func (c *popularityClient) fetch(ctx context.Context, baggage string) Popularity {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.url, nil)
	if err != nil {
		return Popularity{Outcome: NoService, Detail: fmt.Sprintf("build request for %s: %v", c.url, err)}
	}
	req.Header.Set("Accept", "application/json")
	if baggage != "" {
		req.Header[baggageKey] = []string{baggage}
	}
	resp, err := c.http.Do(req)
	if err != nil {
		// Refused, reset, EOF before any response, a dial timeout: nothing
		// could answer.
		return c.transportFailure(ctx, fmt.Errorf("GET %s: %w", c.url, err))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxPopularBody+1))
	if err != nil {
		if ctx.Err() != nil {
			return c.transportFailure(ctx, fmt.Errorf("read answer of %s: %w", c.url, err))
		}
		return Popularity{
			Outcome: ServiceError,
			Problem: "The popularity service's answer was cut off.",
			Detail:  fmt.Sprintf("read answer of %s (status %d): %v", c.url, resp.StatusCode, err),
		}
	}
	if len(body) > maxPopularBody {
		return Popularity{
			Outcome: ServiceError,
			Problem: "The popularity service's answer was too large to show.",
			Detail:  fmt.Sprintf("answer of %s is over %d bytes", c.url, maxPopularBody),
		}
	}
	return classifyResponse(resp.StatusCode, resp.Header.Get("Content-Type"), body)
}

// transportFailure is a call that got no complete answer. With the context
// ended it has no Outcome: Fetch tells a timeout from a cancellation.
func (c *popularityClient) transportFailure(ctx context.Context, err error) Popularity {
	if ctx.Err() != nil {
		return Popularity{Detail: err.Error()}
	}
	return Popularity{Outcome: NoService, Detail: err.Error(), gateway: true}
}

// close drops the idle connections to the service.
func (c *popularityClient) close() { c.http.CloseIdleConnections() }
