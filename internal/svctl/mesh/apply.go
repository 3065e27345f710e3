package mesh

import (
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	consul "github.com/hashicorp/consul/api"
)

// Apply makes the changes Plan finds, each with a check-and-set, and
// returns them: what a confirmed `svctl mesh PROFILE` does.
func Apply(c *consul.Client, dir, profile string) ([]Change, error) {
	changes, err := Plan(c, dir, profile)
	if err != nil {
		return nil, err
	}
	return changes, ApplyPlan(c, changes)
}

// Rendered returns the entries of dir with profile as Apply writes them: with
// the routes of the personal versions recorded in Consul for every service
// the profile routes.
func Rendered(c *consul.Client, dir, profile string) ([]Entry, error) {
	entries, err := Load(dir, profile)
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		if e.Entry.GetKind() != consul.ServiceResolver {
			continue
		}
		vs, _, err := ReadVersions(c, e.Entry.GetName())
		if err != nil {
			return nil, err
		}
		if entries, err = personalize(entries, e.Entry.GetName(), vs); err != nil {
			return nil, fmt.Errorf("profile %s: %w", profile, err)
		}
	}
	return entries, nil
}

// otherProfilesOnly returns the entries other profiles define that keep is
// without.
func otherProfilesOnly(dir, profile string, keep []Entry) ([]Entry, error) {
	kept := map[string]bool{}
	for _, e := range keep {
		kept[e.Key()] = true
	}
	profiles, err := Profiles(dir)
	if err != nil {
		return nil, err
	}
	var out []Entry
	seen := map[string]bool{}
	for _, p := range profiles {
		if p == profile {
			continue
		}
		es, err := loadDir(filepath.Join(dir, "profiles", p))
		if err != nil {
			return nil, err
		}
		for _, e := range es {
			if !kept[e.Key()] && !seen[e.Key()] {
				seen[e.Key()] = true
				out = append(out, e)
			}
		}
	}
	return out, nil
}

// ActiveProfile names the routing profile applied in Consul, from the Meta
// of the entries there: "none" when no profile's entries are, "mixed: a, b"
// when entries of several are.
func ActiveProfile(c *consul.Client) (string, error) {
	p, _, err := ProfileAndVersions(c)
	return p, err
}

// ProfileAndVersions is ActiveProfile, and the versions with a personal
// route of every service (ReadVersions of each), from the same listings.
func ProfileAndVersions(c *consul.Client) (string, map[string]Versions, error) {
	kinds := []string{consul.ServiceDefaults, consul.ServiceResolver, consul.ServiceRouter, consul.ServiceSplitter}
	lists := make([][]consul.ConfigEntry, len(kinds))
	errs := make([]error, len(kinds))
	var wg sync.WaitGroup
	for k, kind := range kinds { // at once: four round trips cost one
		wg.Go(func() {
			if lists[k], _, errs[k] = c.ConfigEntries().List(kind, nil); errs[k] != nil {
				errs[k] = fmt.Errorf("list %s entries: %w", kind, errs[k])
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return "", nil, err
	}
	found := map[string]bool{}
	versions := map[string]Versions{}
	for _, entries := range lists {
		for _, e := range entries {
			if p := e.GetMeta()[ProfileMetaKey]; p != "" {
				found[p] = true
			}
			if e.GetKind() == consul.ServiceResolver {
				versions[e.GetName()] = versionsOf(e.GetMeta())
			}
		}
	}
	var names []string
	for p := range found {
		names = append(names, p)
	}
	sort.Strings(names)
	switch len(names) {
	case 0:
		return "none", versions, nil
	case 1:
		return names[0], versions, nil
	}
	return "mixed: " + strings.Join(names, ", "), versions, nil
}

// CheckApplied returns an error unless service's protocol is set in Consul:
// without it Envoy balances TCP connections, not requests.
func CheckApplied(c *consul.Client, service string) error {
	e, _, err := c.ConfigEntries().Get(consul.ServiceDefaults, service, nil)
	if err != nil {
		var se consul.StatusError
		if errors.As(err, &se) && se.Code == 404 {
			return fmt.Errorf("the mesh config for %s is not applied in Consul: run `svctl mesh tutorial` (or `just up`)", service)
		}
		return fmt.Errorf("read service-defaults %s: %w", service, err)
	}
	sd, ok := e.(*consul.ServiceConfigEntry)
	if !ok || sd.Protocol != "http" {
		return fmt.Errorf("service-defaults %s in Consul does not set protocol http: run `svctl mesh tutorial`", service)
	}
	return nil
}

// SetUp writes the cluster's own entries, those of dir's setup/ folder
// (service-intentions/*: deny what no intention allows), as a cluster's
// set-up does once (`just up`, `just cluster-up`, or a team's own
// `consul config write envoy/setup/*.hcl`); svctl mesh never writes them.
func SetUp(c *consul.Client, dir string) error {
	entries, err := loadDir(filepath.Join(dir, "setup"))
	if err != nil {
		return err
	}
	for _, e := range entries {
		ok, _, err := c.ConfigEntries().Set(e.Entry, nil)
		if err != nil {
			return fmt.Errorf("write %s (%s): %w", e.Key(), e.File, err)
		}
		if !ok {
			return fmt.Errorf("write %s (%s): consul did not apply it", e.Key(), e.File)
		}
	}
	return nil
}
