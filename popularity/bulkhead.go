package popularity

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// errBusy is a request that found every query slot taken for DBWait.
var errBusy = errors.New("busy")

// acquireSlot takes one of the DBConns query slots for a request to /,
// waiting DBWait at most, or until ctx ends (then its error). Past the wait
// it returns errBusy: a version that cannot keep up answers fast instead of
// queueing its callers without bound. The caller runs its query holding the
// slot and calls release once the query has given its connection back.
// Without a bound (DBConns 0) it never waits.
func (s *Server) acquireSlot(ctx context.Context) (release func(), err error) {
	s.slotsOnce.Do(func() {
		if s.DBConns > 0 {
			s.slots = make(chan struct{}, s.DBConns)
		}
	})
	if s.slots == nil {
		return func() {}, nil
	}
	release = func() { <-s.slots }
	select {
	case s.slots <- struct{}{}:
		return release, nil
	default:
	}
	if s.DBWait <= 0 {
		return nil, errBusy
	}
	wait := time.NewTimer(s.DBWait)
	defer wait.Stop()
	select {
	case s.slots <- struct{}{}:
		return release, nil
	case <-wait.C:
		return nil, errBusy
	case <-ctx.Done():
		return nil, fmt.Errorf("wait for a query slot: %w", ctx.Err())
	}
}

// busyMessage is the error of a busy answer: what was busy, and for how
// long. It starts with "busy", which the monolith retries on.
func (s *Server) busyMessage() string {
	if s.DBConns == 1 {
		return fmt.Sprintf("busy: the one database connection was in use for longer than %s", s.DBWait)
	}
	return fmt.Sprintf("busy: all %d database connections were in use for longer than %s", s.DBConns, s.DBWait)
}
