// Package expiry gives every version a time to live: when it is set (run
// --ttl, a default per mode), how it is extended (svctl extend), and which
// versions are past it (svctl expire, which the cluster's periodic job
// jobs/svctl-expire.nomad.hcl runs every 30 seconds). A version's expiry is
// kept in Consul's KV store, svctl/expiry/NAMESPACE/SERVICE/NAME, so that changing it
// restarts nothing.
package expiry

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	consul "github.com/hashicorp/consul/api"
)

// The default times to live, and the longest one.
const (
	DefaultPrivate = 8 * time.Hour
	DefaultShared  = 7 * 24 * time.Hour
	Max            = 30 * 24 * time.Hour
)

const prefix = "svctl/expiry/"

// InputError is a time to live that cannot be.
type InputError struct{ msg string }

func (e *InputError) Error() string { return e.msg }

// BadInput marks the error as the user's mistake (exit status 2).
func (e *InputError) BadInput() bool { return true }

// Check refuses a time to live that is negative or longer than Max; 0 is
// none.
func Check(ttl time.Duration) error {
	switch {
	case ttl < 0:
		return &InputError{fmt.Sprintf("-ttl %s: a time to live is positive (0: none)", ttl)}
	case ttl > Max:
		return &InputError{fmt.Sprintf("-ttl %s: at most %s (30 days); a version for longer is a release, not a try", ttl, Max)}
	}
	return nil
}

// Default is the time to live of a version run without -ttl.
func Default(private bool) time.Duration {
	if private {
		return DefaultPrivate
	}
	return DefaultShared
}

// Entry is one version's expiry.
type Entry struct {
	Namespace string    `json:"namespace"` // the Nomad namespace of the version
	Service   string    `json:"service"`
	Name      string    `json:"name"`
	Expires   time.Time `json:"expires"`
	SetBy     string    `json:"set_by"`
}

func key(ns, service, name string) string { return prefix + ns + "/" + service + "/" + name }

// Store keeps the versions' expiries in Consul.
type Store struct{ kv *consul.KV }

// New returns the store of the Consul of c.
func New(c *consul.Client) *Store { return &Store{kv: c.KV()} }

// Set makes name of service, in the Nomad namespace ns, expire ttl from
// now (0: never), as by.
func (s *Store) Set(ns, service, name string, ttl time.Duration, by string) (Entry, error) {
	if ttl == 0 {
		if _, err := s.kv.Delete(key(ns, service, name), nil); err != nil {
			return Entry{}, fmt.Errorf("clear the expiry of %s/%s: %w", service, name, err)
		}
		return Entry{Namespace: ns, Service: service, Name: name}, nil
	}
	e := Entry{Namespace: ns, Service: service, Name: name, Expires: time.Now().Add(ttl).UTC().Truncate(time.Second), SetBy: by}
	value, err := json.Marshal(e)
	if err != nil {
		return e, err
	}
	if _, err := s.kv.Put(&consul.KVPair{Key: key(ns, service, name), Value: value}, nil); err != nil {
		return e, fmt.Errorf("set the expiry of %s/%s: %w", service, name, err)
	}
	return e, nil
}

// Clear forgets name's expiry: its last instance is gone.
func (s *Store) Clear(ns, service, name string) error {
	_, err := s.kv.Delete(key(ns, service, name), nil)
	return err
}

// All returns every version's expiry, by NAMESPACE/SERVICE/NAME.
func (s *Store) All() (map[string]Entry, error) {
	pairs, _, err := s.kv.List(prefix, nil)
	if err != nil {
		return nil, fmt.Errorf("read the versions' expiries: %w", err)
	}
	out := map[string]Entry{}
	var errs []error
	for _, p := range pairs {
		var e Entry
		if err := json.Unmarshal(p.Value, &e); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", p.Key, err))
			continue
		}
		out[strings.TrimPrefix(p.Key, prefix)] = e
	}
	return out, errors.Join(errs...)
}
