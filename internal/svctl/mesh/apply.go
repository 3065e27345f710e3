package mesh

import (
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	consul "github.com/hashicorp/consul/api"
)

// TrustDomain returns the Connect trust domain of the cluster Consul runs.
func TrustDomain(c *consul.Client) (string, error) {
	roots, _, err := c.Connect().CARoots(nil)
	if err != nil {
		return "", fmt.Errorf("read Connect CA roots: %w", err)
	}
	if roots.TrustDomain == "" {
		return "", errors.New("consul has no Connect trust domain: is connect enabled?")
	}
	return roots.TrustDomain, nil
}

// Apply writes the entries of dir with profile to Consul, deletes the entries
// that only other profiles define, and returns what it wrote.
func Apply(c *consul.Client, dir, profile string) ([]Entry, error) {
	td, err := TrustDomain(c)
	if err != nil {
		return nil, err
	}
	vars := Vars{TrustDomain: td}
	entries, err := Load(dir, profile, vars)
	if err != nil {
		return nil, err
	}
	stale, err := otherProfilesOnly(dir, profile, vars, entries)
	if err != nil {
		return nil, err
	}
	// Load checked every file before anything is written; Consul validates
	// each entry again as it is set.
	for _, e := range entries {
		ok, _, err := c.ConfigEntries().Set(e.Entry, nil)
		if err != nil {
			return nil, fmt.Errorf("write %s (%s): %w", e.Key(), e.File, err)
		}
		if !ok {
			return nil, fmt.Errorf("write %s (%s): consul did not apply it", e.Key(), e.File)
		}
	}
	for _, e := range stale {
		if _, err := c.ConfigEntries().Delete(e.Entry.GetKind(), e.Entry.GetName(), nil); err != nil {
			return nil, fmt.Errorf("delete %s (of another profile): %w", e.Key(), err)
		}
	}
	return entries, nil
}

// otherProfilesOnly returns the entries other profiles define that keep is
// without.
func otherProfilesOnly(dir, profile string, vars Vars, keep []Entry) ([]Entry, error) {
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
		es, err := loadDir(filepath.Join(dir, "profiles", p), vars)
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
	found := map[string]bool{}
	for _, kind := range []string{consul.ServiceDefaults, consul.ServiceResolver, consul.ServiceRouter, consul.ServiceSplitter} {
		entries, _, err := c.ConfigEntries().List(kind, nil)
		if err != nil {
			return "", fmt.Errorf("list %s entries: %w", kind, err)
		}
		for _, e := range entries {
			if p := e.GetMeta()[ProfileMetaKey]; p != "" {
				found[p] = true
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
		return "none", nil
	case 1:
		return names[0], nil
	}
	return "mixed: " + strings.Join(names, ", "), nil
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
