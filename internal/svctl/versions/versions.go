// Package versions keeps a service's versions and their personal routes in
// step: whether NAME still has instances and in what mode the mesh routes
// it, the checks a run, promote and demote make of it, and the route that
// goes with a version's last instance. It asks Nomad (package deploy) what
// runs and Consul (package mesh) how it is routed.
package versions

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	consul "github.com/hashicorp/consul/api"

	"microwizard/internal/personal"
	"microwizard/internal/svctl/deploy"
	"microwizard/internal/svctl/mesh"
	"microwizard/internal/svctl/request"
)

// Versions are the versions of the services in one Nomad namespace of a
// cluster. Their routes are keyed by namespace too: nothing done in one
// namespace changes a route of another.
type Versions struct {
	d  *deploy.Client // of the namespace
	cc *consul.Client
	ns string
}

// New returns the versions of the Nomad namespace ns of the cluster of d
// (whose client works in ns) and cc.
func New(d *deploy.Client, cc *consul.Client, ns string) *Versions {
	return &Versions{d: d, cc: cc, ns: ns}
}

// key is name's key in the routes.
func (v *Versions) key(name string) string { return mesh.Key(v.ns, name) }

// forget removes name's personal route.
func (v *Versions) forget(service, name string) error {
	return mesh.Forget(v.cc, service, v.key(name))
}

// state is what a check needs of service: its routes, and its live jobs.
type state struct {
	routes mesh.Versions
	jobs   []deploy.Job
}

func (v *Versions) state(service string) (state, error) {
	routes, _, err := mesh.ReadVersions(v.cc, service)
	if err != nil {
		return state{}, err
	}
	jobs, err := v.d.Jobs(service)
	if err != nil {
		return state{}, err
	}
	return state{routes, jobs}, nil
}

// running counts the live jobs (instances) of name.
func (s state) running(name string) int {
	n := 0
	for _, j := range s.jobs {
		if j.Name == name {
			n++
		}
	}
	return n
}

// CheckRun refuses a run of another owner's version, and a run whose mode
// does not match its version's: a plain
// run of a private version, or a private run of a version that already
// serves everyone. It returns whether name had a route before. A route
// left by a private version with no instance (stopped in Nomad, a stop cut
// short) goes: nothing is left to protect.
func (v *Versions) CheckRun(service, name, owner string, private bool) (routed bool, err error) {
	s, err := v.state(service)
	if err != nil {
		return false, err
	}
	if err := s.checkOwner(service, name, owner); err != nil {
		return false, err
	}
	_, routed = s.routes[v.key(name)]
	running := s.running(name)
	switch mode := s.routes.Mode(v.key(name)); {
	case !private && mode == mesh.Private && running == 0:
		if err := v.forget(service, name); err != nil {
			return false, err
		}
		return false, nil
	case !private && mode == mesh.Private:
		return routed, &request.InputError{Msg: fmt.Sprintf("%s is private: run it with --private, or `svctl promote %s` first", name, name)}
	case private && mode == mesh.Shared && running > 0:
		return routed, &request.InputError{Msg: fmt.Sprintf("%s already serves everyone (%d instance(s)): `svctl demote %s` first, or choose another name", name, running, name)}
	}
	return routed, nil
}

// Running counts the live instances of name of service.
func (v *Versions) Running(service, name string) (int, error) {
	s, err := v.state(service)
	if err != nil {
		return 0, err
	}
	return s.running(name), nil
}

// CheckSharedLeft refuses to take name out of general rotation when no
// other version would serve everyone: every plain request would fail.
func (v *Versions) CheckSharedLeft(service, name string) error {
	s, err := v.state(service)
	if err != nil {
		return err
	}
	for _, j := range s.jobs {
		if j.Name != name && s.routes.Mode(v.key(j.Name)) == mesh.Shared {
			return nil
		}
	}
	return &request.InputError{Msg: fmt.Sprintf("%s is the only version of %s serving everyone: made private, it would leave plain requests no instance; run a shared version first", name, service)}
}

// CheckApplied refuses a run of service without its mesh config in Consul:
// without it Envoy balances TCP connections, not requests.
func (v *Versions) CheckApplied(service string) error { return mesh.CheckApplied(v.cc, service) }

// Route gives name of service a personal route in mode: for a run, whose
// instances are marked as they are run.
func (v *Versions) Route(service, name string, mode mesh.Mode) error {
	return mesh.SetMode(v.cc, service, v.key(name), mode)
}

// SetMode makes the running version name of service serve in mode, live
// (promote, demote): its route first, which takes effect at once, then the
// mark on its instances (deploy.Client.MarkPrivate), which outlasts any
// rewrite of the routes, so that a version run shared and then demoted
// stays out of general rotation when the profile's files are applied over
// it, as one run private does.
func (v *Versions) SetMode(ctx context.Context, service, name string, mode mesh.Mode) error {
	if err := v.Route(service, name, mode); err != nil {
		return err
	}
	jobs, err := v.d.Jobs(service)
	if err != nil {
		return err
	}
	var ids []string
	for _, j := range jobs {
		if j.Name == name {
			ids = append(ids, j.ID)
		}
	}
	if err := v.d.MarkPrivate(ctx, service, ids, mode == mesh.Private); err != nil {
		return fmt.Errorf("%s is routed as %s, but its instances are not all marked so: %w", name, mode, err)
	}
	return nil
}

// ForgetIfGone removes the personal route of name once its last instance
// is gone (requests naming it have already fallen back to the shared
// versions), and reports whether it did.
func (v *Versions) ForgetIfGone(service, name string) (bool, error) {
	s, err := v.state(service)
	if err != nil {
		return false, err
	}
	if _, routed := s.routes[v.key(name)]; !routed || s.running(name) > 0 {
		return false, nil
	}
	if err := v.forget(service, name); err != nil {
		return false, fmt.Errorf("remove the personal route of %s: %w", name, err)
	}
	return true, nil
}

// Parse reads a version as the user names it, NAME or SERVICE/NAME
// (service "" for NAME alone), before anything is asked.
func Parse(arg string) (service, name string, err error) {
	service, name, qualified := strings.Cut(arg, "/")
	if !qualified {
		service, name = "", arg
	}
	if qualified && service == "" {
		return "", "", &request.InputError{Msg: fmt.Sprintf("%q: SERVICE/NAME with no SERVICE", arg)}
	}
	if err := request.ValidateName(name); err != nil {
		return "", "", &request.InputError{Msg: err.Error()}
	}
	return service, name, nil
}

// Select returns the service of the version name ("" service: whichever
// runs it), which must run. NAME alone must be a version of one service
// only: of several, the user says which.
func (v *Versions) Select(service, name string) (string, error) {
	jobs, err := v.d.Named(name)
	if err != nil {
		return "", err
	}
	var services []string
	for _, j := range jobs {
		if !slices.Contains(services, j.Service) {
			services = append(services, j.Service)
		}
	}
	slices.Sort(services)
	switch {
	case service == "" && len(services) > 1:
		return "", &request.InputError{Msg: fmt.Sprintf("%s is a version of several services (%s): say which, as SERVICE/%s", name, strings.Join(services, ", "), name)}
	case service == "":
		return services[0], nil
	case !slices.Contains(services, service):
		return "", &deploy.NotFoundError{Name: service + "/" + name, Known: qualifiedNames(jobs)}
	}
	return service, nil
}

func qualifiedNames(jobs []deploy.Job) []string {
	var names []string
	for _, j := range jobs {
		if n := j.Service + "/" + j.Name; !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	return names
}

// Yours returns the service of the version name (service "": whichever
// runs it) once it is found running and found to be owner's to change.
func (v *Versions) Yours(service, name, owner string) (string, error) {
	service, err := v.Select(service, name)
	if err != nil {
		return "", err
	}
	return service, v.CheckOwner(service, name, owner)
}

// CheckOwner refuses owner a change to name of service while it runs as
// another owner's version (a version from before svctl recorded owners is
// anyone's).
func (v *Versions) CheckOwner(service, name, owner string) error {
	s, err := v.state(service)
	if err != nil {
		return err
	}
	return s.checkOwner(service, name, owner)
}

func (s state) checkOwner(service, name, owner string) error {
	for _, j := range s.jobs {
		if j.Name == name && j.Owner != "" && j.Owner != owner {
			return &OwnedError{Service: service, Name: name, Owner: j.Owner, You: owner}
		}
	}
	return nil
}

// OwnedError is a change to another owner's version: refused before
// anything changes (exit status 2).
type OwnedError struct{ Service, Name, Owner, You string }

func (e *OwnedError) Error() string {
	return fmt.Sprintf("%s/%s is %s's version (you are %s): choose another NAME; to clean it up for them, svctl stop --force %s/%s", e.Service, e.Name, e.Owner, e.You, e.Service, e.Name)
}

// BadInput marks the error as the user's mistake (exit status 2).
func (e *OwnedError) BadInput() bool { return true }

// Modes sets each row's mode from routes, the versions with a personal
// route of each service (mesh.ProfileAndVersions): shared or private, as
// the mesh routes it; a version without a route of its own is as its
// instances are marked (a private or demoted one whose route went, say by
// a re-application of envoy/'s files, is still left out of general
// rotation by the shared subset).
func (v *Versions) Modes(rows []deploy.Row, routes map[string]mesh.Versions) {
	for k, r := range rows {
		ns := r.Namespace
		if ns == "" {
			ns = v.ns
		}
		mode, routed := routes[r.Service][mesh.Key(ns, r.Name)]
		switch {
		case routed:
		case r.MarkedPrivate:
			mode = mesh.Private
		default:
			mode = mesh.Shared
		}
		rows[k].Mode = string(mode)
	}
}

// ModeText says who a version in mode serves.
func ModeText(name string, mode mesh.Mode) string {
	if mode == mesh.Private {
		return fmt.Sprintf("only requests with the baggage member %s=%s reach it (in a browser: any page with ?%s=%s)", personal.Member, name, personal.Member, name)
	}
	return "it is in general rotation"
}

// RecordForced records in Consul's KV store, under svctl/forced/, that by
// stopped owner's version name of service, and returns the key.
func (v *Versions) RecordForced(service, name, owner, by string) (string, error) {
	at := time.Now().UTC()
	key := fmt.Sprintf("svctl/forced/%s/%s/%s/%d", v.ns, service, name, at.UnixNano())
	value, err := json.Marshal(map[string]string{"namespace": v.ns, "service": service, "name": name, "owner": owner, "stopped_by": by, "at": at.Format(time.RFC3339)})
	if err != nil {
		return "", err
	}
	if _, err := v.cc.KV().Put(&consul.KVPair{Key: key, Value: value}, nil); err != nil {
		return "", err
	}
	return key, nil
}
