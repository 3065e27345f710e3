package logs

import (
	"context"
	"errors"
	"strings"

	nomad "github.com/hashicorp/nomad/api"
)

// source is where logs come from: Nomad's API (nomadSource), or a test's
// stand-in that cuts streams where it likes.
type source interface {
	// Info reads an allocation.
	Info(ctx context.Context, id string) (*nomad.Allocation, error)
	// Files lists the allocation's log directory.
	Files(ctx context.Context, alloc *nomad.Allocation) ([]*nomad.AllocFileInfo, error)
	// Logs streams a task's log from offset bytes after the start of its
	// oldest log file, following it or not, until stop is closed.
	Logs(ctx context.Context, alloc *nomad.Allocation, task, stream string, offset int64, follow bool, stop <-chan struct{}) (<-chan *nomad.StreamFrame, <-chan error)
}

// nomadSource reads logs through Nomad's API.
type nomadSource struct{ nc *nomad.Client }

func (s nomadSource) Info(ctx context.Context, id string) (*nomad.Allocation, error) {
	a, _, err := s.nc.Allocations().Info(id, (&nomad.QueryOptions{}).WithContext(ctx))
	return a, err
}

func (s nomadSource) Files(ctx context.Context, alloc *nomad.Allocation) ([]*nomad.AllocFileInfo, error) {
	files, _, err := s.nc.AllocFS().List(alloc, "alloc/logs", (&nomad.QueryOptions{}).WithContext(ctx))
	return files, err
}

func (s nomadSource) Logs(ctx context.Context, alloc *nomad.Allocation, task, stream string, offset int64, follow bool, stop <-chan struct{}) (<-chan *nomad.StreamFrame, <-chan error) {
	return s.nc.AllocFS().Logs(alloc, follow, task, stream, "start", offset, stop, (&nomad.QueryOptions{}).WithContext(ctx))
}

// isNotFound reports whether Nomad said the thing asked for does not exist.
func isNotFound(err error) bool {
	var uerr nomad.UnexpectedResponseError
	if errors.As(err, &uerr) {
		return uerr.StatusCode() == 404
	}
	return err != nil && strings.Contains(err.Error(), "404")
}
