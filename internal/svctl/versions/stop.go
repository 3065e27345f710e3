package versions

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"time"

	consul "github.com/hashicorp/consul/api"
	nomad "github.com/hashicorp/nomad/api"

	"microwizard/internal/svctl/deploy"
	"microwizard/internal/svctl/expiry"
)

// Stopped is what a stop did.
type Stopped struct {
	Jobs []deploy.Job // the jobs stopped and purged
	// Forced is the owner whose version was stopped with force, and
	// ForcedKey where that was recorded; "" when the version was yours.
	Forced, ForcedKey string
	RouteRemoved      bool // the version's personal route went with its last instance
}

// Stop stops name of service (with one, only its newest instance) as
// owner: another owner's version only with force, and then recorded (see
// RecordForced). Each instance leaves Consul first and finishes what it
// serves. The version's personal route and its expiry go with its last
// instance.
func (v *Versions) Stop(ctx context.Context, service, name, owner string, one, force bool) (Stopped, error) {
	var st Stopped
	var owned *OwnedError
	switch err := v.CheckOwner(service, name, owner); {
	case errors.As(err, &owned) && force:
		key, err := v.RecordForced(service, name, owned.Owner, owner)
		if err != nil {
			return st, fmt.Errorf("record the forced stop of %s/%s: %w; nothing was stopped", service, name, err)
		}
		st.Forced, st.ForcedKey = owned.Owner, key
	case err != nil:
		return st, err
	}
	jobs, err := v.d.Stop(ctx, service, name, one)
	if err != nil {
		return st, err
	}
	st.Jobs = jobs
	st.RouteRemoved, err = v.AfterStop(service, name)
	return st, err
}

// AfterStop removes what goes with name's last instance once it is gone (a
// stop, or a watch that stops its instance on exit): its personal route
// (reported) and its expiry.
func (v *Versions) AfterStop(service, name string) (routeRemoved bool, err error) {
	if routeRemoved, err = v.ForgetIfGone(service, name); err != nil {
		return false, err
	}
	if left, err := v.Running(service, name); err != nil || left > 0 {
		return routeRemoved, err
	}
	if err := expiry.New(v.cc).Clear(v.ns, service, name); err != nil {
		return routeRemoved, fmt.Errorf("clear the expiry of %s/%s: %w", service, name, err)
	}
	return routeRemoved, nil
}

// Expired is a version svctl expire stopped.
type Expired struct {
	expiry.Entry
	Instances int // how many it stopped; 0: it had gone some other way
}

// Expire stops every version past its expiry, in every namespace, whoever
// ran it, as Stop does, and returns what it stopped. progress gets the
// stops' progress.
func Expire(ctx context.Context, nc *nomad.Client, cc *consul.Client, progress io.Writer) ([]Expired, error) {
	store := expiry.New(cc)
	all, err := store.All()
	if err != nil {
		return nil, err
	}
	keys := make([]string, 0, len(all))
	for k := range all {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []Expired
	var errs []error
	for _, k := range keys {
		en := all[k]
		if en.Expires.IsZero() || time.Now().Before(en.Expires) {
			continue
		}
		// Each version in its own namespace.
		nc.SetNamespace(en.Namespace)
		d := deploy.New(nc, cc, progress)
		v := New(d, cc, en.Namespace)
		stopped, err := d.Stop(ctx, en.Service, en.Name, false)
		var nf *deploy.NotFoundError
		switch {
		case errors.As(err, &nf): // gone some other way: only its expiry is left
		case err != nil:
			errs = append(errs, fmt.Errorf("stop %s/%s: %w", en.Service, en.Name, err))
			continue
		}
		if _, err := v.AfterStop(en.Service, en.Name); err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, Expired{Entry: en, Instances: len(stopped)})
	}
	return out, errors.Join(errs...)
}
