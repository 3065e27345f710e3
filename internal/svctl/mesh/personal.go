package mesh

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

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
// deploy name, and their modes.
type Versions map[string]Mode

// Mode returns the mode of version: Shared for a version without a personal
// route.
func (vs Versions) Mode(version string) Mode {
	if m, ok := vs[version]; ok {
		return m
	}
	return Shared
}

// The state of personal routing is kept where the routing is: in the Meta of
// the service's resolver, one key per version ("version-NAME" = mode). Deploy
// names are made of the characters Consul allows in Meta keys.
const versionMetaPrefix = "version-"

// SharedSubset is the resolver subset that requests naming no version (or a
// version with no healthy instance) go to: every instance but those of
// private versions.
const SharedSubset = "shared"

// SubsetName is the resolver subset of version's instances. Subset names
// allow only lower-case letters, digits and '-', so the deploy name is
// lower-cased, its '_' made '-', and a hash of it added to keep names that
// map alike apart.
func SubsetName(version string) string {
	sum := sha256.Sum256([]byte(version))
	return "v-" + strings.ReplaceAll(strings.ToLower(version), "_", "-") + "-" + hex.EncodeToString(sum[:4])
}

// instanceFilter selects the instances of version: svctl writes the deploy
// name in their Consul service meta.
func instanceFilter(version string) string {
	return fmt.Sprintf("Service.Meta.%s == %q", record.MetaDeployName, version)
}

// sharedFilter selects every instance except those of the private versions.
func sharedFilter(vs Versions) string {
	var parts []string
	for _, v := range slices.Sorted(maps.Keys(vs)) {
		if vs[v] == Private {
			parts = append(parts, fmt.Sprintf("Service.Meta.%s != %q", record.MetaDeployName, v))
		}
	}
	return strings.Join(parts, " and ")
}

// versionsOf reads the versions from a resolver's Meta.
func versionsOf(meta map[string]string) Versions {
	vs := Versions{}
	for k, v := range meta {
		if name, ok := strings.CutPrefix(k, versionMetaPrefix); ok {
			vs[name] = Mode(v)
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
	if res.DefaultSubset != "" || res.Redirect != nil {
		return nil, fmt.Errorf("%s: personal versions of %s need the resolver's default subset, and no redirect", out[ri].File, service)
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
		subset := SubsetName(v)
		res.Subsets[subset] = consul.ServiceResolverSubset{Filter: instanceFilter(v)}
		res.Failover[subset] = consul.ServiceResolverFailover{ServiceSubset: SharedSubset}
		res.Meta[versionMetaPrefix+v] = string(vs[v])
		dest := last
		dest.Service, dest.ServiceSubset = "", subset
		routes = append(routes, consul.ServiceRoute{
			Match: &consul.ServiceRouteMatch{HTTP: &consul.ServiceRouteHTTPMatch{
				Header: []consul.ServiceRouteHTTPMatchHeader{{Name: personal.Header, Regex: personal.HeaderRegex(v)}},
			}},
			Destination: &dest,
		})
	}
	router.Routes = append(routes, router.Routes...)
	out[ri] = Entry{File: out[ri].File, Entry: &res}
	out[oi] = Entry{File: out[oi].File, Entry: &router}
	return out, nil
}

// applyVersions writes service's routing in the active profile after
// changing its versions with change. It writes in the order that keeps every
// route's subset defined: the resolver first when a route is added, the
// router first when one goes. The resolver is written with a check-and-set,
// so two svctl commands changing versions at once do not lose a change: the
// loser reads again and retries.
func applyVersions(c *consul.Client, dir, service string, change func(Versions) error) (Versions, error) {
	profile, err := ActiveProfile(c)
	if err != nil {
		return nil, err
	}
	known, err := Profiles(dir)
	if err != nil {
		return nil, err
	}
	if !slices.Contains(known, profile) {
		return nil, fmt.Errorf("personal versions need a mesh profile applied in Consul, and it is %q: run `svctl mesh tutorial`", profile)
	}
	entries, err := Load(dir, profile)
	if err != nil {
		return nil, err
	}
	for attempt := 0; attempt < 5; attempt++ {
		old, index, err := ReadVersions(c, service)
		if err != nil {
			return nil, err
		}
		vs := maps.Clone(old)
		if err := change(vs); err != nil {
			return nil, err
		}
		routed, err := personalize(entries, service, vs)
		if err != nil {
			return nil, err
		}
		var resolver, router consul.ConfigEntry
		for _, e := range routed {
			if e.Entry.GetName() == service && e.Entry.GetKind() == consul.ServiceResolver {
				resolver = e.Entry
			}
			if e.Entry.GetName() == service && e.Entry.GetKind() == consul.ServiceRouter {
				router = e.Entry
			}
		}
		if resolver == nil || router == nil {
			return nil, fmt.Errorf("profile %s has no service-resolver and service-router for %s", profile, service)
		}
		if maps.Equal(old, vs) {
			// Nothing to change; the router is written again all the same,
			// in case an earlier command stopped between the two writes.
			return vs, set(c, router)
		}
		removed := len(vs) < len(old)
		if removed {
			if err := set(c, router); err != nil {
				return nil, err
			}
		}
		ok, _, err := c.ConfigEntries().CAS(resolver, index, nil)
		if err != nil {
			return nil, fmt.Errorf("write %s/%s: %w", resolver.GetKind(), service, err)
		}
		if !ok {
			continue // changed under us: read again
		}
		if !removed {
			if err := set(c, router); err != nil {
				return nil, err
			}
		}
		return vs, nil
	}
	return nil, fmt.Errorf("the routing of %s kept changing while svctl wrote it: try again", service)
}

// set writes one entry.
func set(c *consul.Client, e consul.ConfigEntry) error {
	ok, _, err := c.ConfigEntries().Set(e, nil)
	if err != nil {
		return fmt.Errorf("write %s/%s: %w", e.GetKind(), e.GetName(), err)
	}
	if !ok {
		return fmt.Errorf("write %s/%s: consul did not apply it", e.GetKind(), e.GetName())
	}
	return nil
}

// SetMode gives version of service a personal route with mode, live:
// Private takes it out of general rotation, Shared puts it back in.
func SetMode(c *consul.Client, dir, service, version string, mode Mode) error {
	if mode != Private && mode != Shared {
		return fmt.Errorf("unknown mode %q", mode)
	}
	_, err := applyVersions(c, dir, service, func(vs Versions) error {
		vs[version] = mode
		return nil
	})
	return err
}

// Forget removes version's personal route and subset: for a version whose
// last instance is gone.
func Forget(c *consul.Client, dir, service, version string) error {
	_, err := applyVersions(c, dir, service, func(vs Versions) error {
		delete(vs, version)
		return nil
	})
	return err
}
