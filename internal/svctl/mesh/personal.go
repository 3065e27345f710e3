package mesh

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	consul "github.com/hashicorp/consul/api"

	"microwizard/internal/personal"
	"microwizard/internal/svctl/record"
)

// Mode says who a version of a service serves.
type Mode string

// The modes of a version with a personal route. A version without one is
// shared and has no route of its own.
const (
	// Shared: in general rotation, and the only version requests naming it
	// reach.
	Shared Mode = "shared"
	// Private: only requests naming it reach it.
	Private Mode = "private"
)

// Versions are the versions of a service that have a personal route, by
// key (Key: the deploy name, in its Nomad namespace), and their modes.
type Versions map[string]Mode

// DefaultNamespace is Nomad's namespace of a run that names none.
const DefaultNamespace = "default"

// Key is the key of version name in Nomad namespace ns: the name alone in
// the default namespace (as before namespaces were told apart), NS/NAME in
// another, so that what one namespace does changes no route of another.
func Key(ns, name string) string {
	if ns == "" || ns == DefaultNamespace {
		return name
	}
	return ns + "/" + name
}

// SplitKey is the namespace and the name of a key.
func SplitKey(key string) (ns, name string) {
	if ns, name, ok := strings.Cut(key, "/"); ok {
		return ns, name
	}
	return DefaultNamespace, key
}

// Mode returns the mode of version: Shared for a version without a personal
// route.
func (vs Versions) Mode(version string) Mode {
	if m, ok := vs[version]; ok {
		return m
	}
	return Shared
}

// The state of personal routing is kept where the routing is: in the Meta of
// the service's resolver, one key per version: "version-NAME" = mode in the
// default namespace, "vns-NS_NAME" in another (Nomad's namespace names have
// no '_'). Deploy and namespace names are made of the characters Consul
// allows in Meta keys.
const (
	versionMetaPrefix    = "version-"
	namespacedMetaPrefix = "vns-"
)

// metaKey is the resolver Meta key of a version's key.
func metaKey(key string) string {
	ns, name := SplitKey(key)
	if ns == DefaultNamespace {
		return versionMetaPrefix + name
	}
	return namespacedMetaPrefix + ns + "_" + name
}

// SharedSubset is the resolver subset that requests naming no version (or a
// version with no healthy instance) go to: every instance but those of
// private versions.
const SharedSubset = "shared"

// versionSubsetPrefix begins the name of every version's subset.
const versionSubsetPrefix = "v-"

// SubsetName is the resolver subset of the instances of the version key.
// Subset names allow only lower-case letters, digits and '-', so the deploy
// name is lower-cased, its '_' made '-', and a hash of the key (name, and
// namespace) added to keep names that map alike apart.
func SubsetName(key string) string {
	_, name := SplitKey(key)
	sum := sha256.Sum256([]byte(key))
	return versionSubsetPrefix + strings.ReplaceAll(strings.ToLower(name), "_", "-") + "-" + hex.EncodeToString(sum[:4])
}

// instanceFilter selects the instances of the version key: svctl writes
// the deploy name and the namespace in their Consul service meta.
func instanceFilter(key string) string {
	ns, name := SplitKey(key)
	return fmt.Sprintf("Service.Meta.%s == %q and Service.Meta.%s == %q", record.MetaDeployName, name, record.MetaNamespace, ns)
}

// SharedFilterBase selects the instances not run as private versions: the
// shared subset of every profile's resolver file, so that applying the
// files as they are fails closed.
var SharedFilterBase = fmt.Sprintf("Service.Meta.%s != %q", record.MetaPrivate, "1")

// sharedFilter selects the instances in general rotation: those not run as
// private versions and those of versions promoted since, without those of
// versions demoted since.
func sharedFilter(vs Versions) string {
	filter := SharedFilterBase
	var in, out []string
	for _, v := range slices.Sorted(maps.Keys(vs)) {
		ns, name := SplitKey(v)
		if vs[v] == Shared {
			in = append(in, "("+instanceFilter(v)+")")
		} else {
			out = append(out, fmt.Sprintf("(Service.Meta.%s != %q or Service.Meta.%s != %q)", record.MetaDeployName, name, record.MetaNamespace, ns))
		}
	}
	if len(in) > 0 {
		filter = "(" + strings.Join(append([]string{filter}, in...), " or ") + ")"
	}
	return strings.Join(append([]string{filter}, out...), " and ")
}

// versionsOf reads the versions from a resolver's Meta.
func versionsOf(meta map[string]string) Versions {
	vs := Versions{}
	for k, v := range meta {
		if name, ok := strings.CutPrefix(k, versionMetaPrefix); ok {
			vs[name] = Mode(v)
		}
		if rest, ok := strings.CutPrefix(k, namespacedMetaPrefix); ok {
			if ns, name, ok := strings.Cut(rest, "_"); ok {
				vs[Key(ns, name)] = Mode(v)
			}
		}
	}
	return vs
}

// ReadVersions returns the versions of service with a personal route, as its
// resolver in Consul records them, and the resolver's ModifyIndex (0 when it
// has none) for a check-and-set.
func ReadVersions(c *consul.Client, service string) (Versions, uint64, error) {
	e, _, err := c.ConfigEntries().Get(consul.ServiceResolver, service, nil)
	if err != nil {
		var se consul.StatusError
		if errors.As(err, &se) && se.Code == 404 {
			return Versions{}, 0, nil
		}
		return nil, 0, fmt.Errorf("read the service-resolver of %s: %w", service, err)
	}
	return versionsOf(e.GetMeta()), e.GetModifyIndex(), nil
}

// personalize returns entries with the personal routing of service's
// versions: its resolver gains a subset per version (falling back to the
// shared subset when the version has no healthy instance) and the shared
// subset as its default; its router gains, before the profile's own routes, a
// route per version for requests whose baggage names it, with the retries
// and timeouts of the profile's last route. Without versions the entries are
// the files' as they are. The entries given are not changed.
func personalize(entries []Entry, service string, vs Versions) ([]Entry, error) {
	if len(vs) == 0 {
		return entries, nil
	}
	out := slices.Clone(entries)
	ri, oi := -1, -1
	for k, e := range out {
		if e.Entry.GetName() != service {
			continue
		}
		switch e.Entry.GetKind() {
		case consul.ServiceResolver:
			ri = k
		case consul.ServiceRouter:
			oi = k
		}
	}
	if ri < 0 || oi < 0 {
		return nil, fmt.Errorf("personal versions of %s need a service-resolver and a service-router for it in the profile", service)
	}
	res := *out[ri].Entry.(*consul.ServiceResolverConfigEntry)
	if res.DefaultSubset != "" && res.DefaultSubset != SharedSubset || res.Redirect != nil {
		return nil, fmt.Errorf("%s: personal versions of %s need the resolver's default subset to be %q (or none), and no redirect", out[ri].File, service, SharedSubset)
	}
	res.Subsets = maps.Clone(res.Subsets)
	if res.Subsets == nil {
		res.Subsets = map[string]consul.ServiceResolverSubset{}
	}
	res.Failover = maps.Clone(res.Failover)
	if res.Failover == nil {
		res.Failover = map[string]consul.ServiceResolverFailover{}
	}
	res.Meta = maps.Clone(res.Meta)
	if res.Meta == nil {
		res.Meta = map[string]string{}
	}
	res.DefaultSubset = SharedSubset
	res.Subsets[SharedSubset] = consul.ServiceResolverSubset{Filter: sharedFilter(vs)}

	router := *out[oi].Entry.(*consul.ServiceRouterConfigEntry)
	var last consul.ServiceRouteDestination
	if n := len(router.Routes); n > 0 && router.Routes[n-1].Destination != nil {
		last = *router.Routes[n-1].Destination
	}
	var routes []consul.ServiceRoute
	for _, v := range slices.Sorted(maps.Keys(vs)) {
		_, name := SplitKey(v)
		subset := SubsetName(v)
		res.Subsets[subset] = consul.ServiceResolverSubset{Filter: instanceFilter(v)}
		res.Failover[subset] = consul.ServiceResolverFailover{ServiceSubset: SharedSubset}
		res.Meta[metaKey(v)] = string(vs[v])
		dest := last
		dest.Service, dest.ServiceSubset = "", subset
		routes = append(routes, consul.ServiceRoute{
			Match: &consul.ServiceRouteMatch{HTTP: &consul.ServiceRouteHTTPMatch{
				Header: []consul.ServiceRouteHTTPMatchHeader{{Name: personal.Header, Regex: personal.HeaderRegex(name)}},
			}},
			Destination: &dest,
		})
	}
	router.Routes = append(routes, router.Routes...)
	out[ri] = Entry{File: out[ri].File, Entry: &res}
	out[oi] = Entry{File: out[oi].File, Entry: &router}
	return out, nil
}

// applyVersions writes service's routing after changing its versions with
// change. The profile is the one in Consul: the service's resolver and
// router as they are there, without their personal parts, are what the
// versions' routes are added to; no checkout's files are read, so a
// teammate's older envoy/ folder changes nothing (only `svctl mesh PROFILE`
// applies files). It writes in the order that keeps every route's subset
// defined: the resolver first when a route is added, the router first when
// one goes. Both are written with a check-and-set, the router read before
// the resolver, so that of two svctl commands changing versions at once
// neither loses the other's change: the loser of a write reads both again
// and retries, and a router is only ever written as the resolver read
// after it makes it.
func applyVersions(c *consul.Client, service string, change func(Versions) error) (Versions, error) {
	for attempt := 0; attempt < casAttempts; attempt++ {
		if attempt > 0 {
			time.Sleep(time.Duration(1+rand.IntN(20*min(attempt, 5))) * time.Millisecond)
		}
		router, routerIndex, err := read[*consul.ServiceRouterConfigEntry](c, consul.ServiceRouter, service)
		if err != nil {
			return nil, err
		}
		resolver, index, err := read[*consul.ServiceResolverConfigEntry](c, consul.ServiceResolver, service)
		if err != nil {
			return nil, err
		}
		if resolver == nil || router == nil {
			return nil, fmt.Errorf("personal versions need the mesh config of %s in Consul (its service-resolver and service-router): run `svctl mesh tutorial`", service)
		}
		old := versionsOf(resolver.Meta)
		vs := maps.Clone(old)
		if err := change(vs); err != nil {
			return nil, err
		}
		base := []Entry{{File: "consul", Entry: withoutVersions(resolver)}, {File: "consul", Entry: withoutRoutes(router)}}
		routed, err := personalize(base, service, vs)
		if err != nil {
			return nil, err
		}
		newResolver, newRouter := routed[0].Entry, routed[1].Entry
		// Nothing to change in the resolver: the router is written again
		// all the same, in case an earlier command stopped between the two
		// writes.
		unchanged, removed := maps.Equal(old, vs), len(vs) < len(old)
		steps := []func() (bool, error){
			func() (bool, error) { return cas(c, newResolver, index) },
			func() (bool, error) { return cas(c, newRouter, routerIndex) },
		}
		switch {
		case unchanged:
			steps = steps[1:]
		case removed:
			steps[0], steps[1] = steps[1], steps[0]
		}
		written := true
		for _, step := range steps {
			ok, err := step()
			if err != nil {
				return nil, err
			}
			if !ok {
				written = false // changed under us: read again
				break
			}
		}
		if written {
			return vs, nil
		}
	}
	return nil, fmt.Errorf("the routing of %s kept changing while svctl wrote it (%d tries): try again", service, casAttempts)
}

// read returns the entry kind/name in Consul and its ModifyIndex; nil and
// 0 when there is none (a check-and-set at 0 creates it only if it still
// does not exist).
func read[T consul.ConfigEntry](c *consul.Client, kind, name string) (T, uint64, error) {
	var none T
	e, _, err := c.ConfigEntries().Get(kind, name, nil)
	if err != nil {
		var se consul.StatusError
		if errors.As(err, &se) && se.Code == 404 {
			return none, 0, nil
		}
		return none, 0, fmt.Errorf("read %s/%s: %w", kind, name, err)
	}
	t, ok := e.(T)
	if !ok {
		return none, 0, fmt.Errorf("read %s/%s: Consul answered a %T", kind, name, e)
	}
	return t, e.GetModifyIndex(), nil
}

// withoutVersions is a resolver without what personalize adds: the
// versions' subsets and failovers and their Meta, and the shared subset as
// the profile files have it.
func withoutVersions(r *consul.ServiceResolverConfigEntry) *consul.ServiceResolverConfigEntry {
	out := *r
	out.ModifyIndex, out.CreateIndex = 0, 0
	personal := func(subset string) bool { return strings.HasPrefix(subset, versionSubsetPrefix) }
	out.Subsets = maps.Clone(r.Subsets)
	maps.DeleteFunc(out.Subsets, func(k string, _ consul.ServiceResolverSubset) bool { return personal(k) })
	out.Failover = maps.Clone(r.Failover)
	maps.DeleteFunc(out.Failover, func(k string, _ consul.ServiceResolverFailover) bool { return personal(k) })
	out.Meta = maps.Clone(r.Meta)
	maps.DeleteFunc(out.Meta, func(k, _ string) bool {
		return strings.HasPrefix(k, versionMetaPrefix) || strings.HasPrefix(k, namespacedMetaPrefix)
	})
	if _, ok := out.Subsets[SharedSubset]; ok {
		out.Subsets[SharedSubset] = consul.ServiceResolverSubset{Filter: SharedFilterBase}
	}
	if len(out.Subsets) == 0 {
		out.Subsets = nil
	}
	if len(out.Failover) == 0 {
		out.Failover = nil
	}
	return &out
}

// withoutRoutes is a router without the versions' routes personalize adds.
func withoutRoutes(r *consul.ServiceRouterConfigEntry) *consul.ServiceRouterConfigEntry {
	out := *r
	out.ModifyIndex, out.CreateIndex = 0, 0
	out.Routes = slices.DeleteFunc(slices.Clone(r.Routes), func(rt consul.ServiceRoute) bool {
		return rt.Destination != nil && strings.HasPrefix(rt.Destination.ServiceSubset, versionSubsetPrefix)
	})
	return &out
}

// casAttempts is how many times a routing change is tried against others
// made at the same moment.
const casAttempts = 60

// cas writes e if it is still at index; false when it changed meanwhile.
// Consul checks every write against the whole discovery chain: a router
// naming a subset that another command's resolver has just taken away (or
// a resolver taking away a subset another's router has just named) is
// refused, and is a change made meanwhile too.
func cas(c *consul.Client, e consul.ConfigEntry, index uint64) (bool, error) {
	ok, _, err := c.ConfigEntries().CAS(e, index, nil)
	if err != nil && strings.Contains(err.Error(), "does not have a subset named") {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("write %s/%s: %w", e.GetKind(), e.GetName(), err)
	}
	return ok, nil
}

// RoutedElsewhereError: a NAME already routed in another namespace.
type RoutedElsewhereError struct{ Name, Namespace string }

func (e *RoutedElsewhereError) Error() string {
	return fmt.Sprintf("%s has a personal route in the Nomad namespace %s already: a request's baggage names a version by NAME alone, so a NAME is routed in one namespace only; choose another NAME", e.Name, e.Namespace)
}

// BadInput marks the error as the user's mistake (exit status 2).
func (e *RoutedElsewhereError) BadInput() bool { return true }

// SetMode gives version of service a personal route with mode, live:
// Private takes it out of general rotation, Shared puts it back in.
func SetMode(c *consul.Client, service, version string, mode Mode) error {
	if mode != Private && mode != Shared {
		return fmt.Errorf("unknown mode %q", mode)
	}
	_, err := applyVersions(c, service, func(vs Versions) error {
		// Baggage names a version by NAME alone: one NAME is routed in one
		// namespace.
		_, name := SplitKey(version)
		for other := range vs {
			if ons, oname := SplitKey(other); oname == name && other != version {
				return &RoutedElsewhereError{Name: name, Namespace: ons}
			}
		}
		vs[version] = mode
		return nil
	})
	return err
}

// Forget removes version's personal route and subset: for a version whose
// last instance is gone.
func Forget(c *consul.Client, service, version string) error {
	_, err := applyVersions(c, service, func(vs Versions) error {
		delete(vs, version)
		return nil
	})
	return err
}
