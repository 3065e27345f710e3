// Package mesh reads the Consul config entries kept in the envoy/ folder and
// applies them, with one of its routing profiles, to a Consul cluster.
//
// The folder holds entries that always apply (*.hcl: the project's
// services' intentions) and one folder per routing profile
// (profiles/NAME/*.hcl) defining the same entries differently, so that
// applying a profile replaces the other one whole. What belongs to the
// cluster rather than to the project (the default-deny intention,
// service-intentions/*) is in setup/, applied once when a cluster is set up
// and never by svctl mesh. Files are plain HCL in attribute syntax (`Key = value`, nested
// objects as `{ ... }`), each one config entry, as `consul config write`
// takes them: no variables, no functions.
//
// Personal versions (personal.go) add routes and subsets to a profile's
// service-router and service-resolver as they are applied.
package mesh

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	consul "github.com/hashicorp/consul/api"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"
)

// ProfileMetaKey is the key, in the Meta of every profile entry, that names
// the profile it belongs to.
const ProfileMetaKey = "profile"

// Entry is one config entry and the file it came from.
type Entry struct {
	File  string
	Entry consul.ConfigEntry
}

// Key identifies an entry in Consul: kind and name.
func (e Entry) Key() string { return e.Entry.GetKind() + "/" + e.Entry.GetName() }

// Profiles lists the routing profiles in dir.
func Profiles(dir string) ([]string, error) {
	des, err := os.ReadDir(filepath.Join(dir, "profiles"))
	if err != nil {
		return nil, fmt.Errorf("list profiles in %s: %w", dir, err)
	}
	var out []string
	for _, d := range des {
		if d.IsDir() {
			out = append(out, d.Name())
		}
	}
	sort.Strings(out)
	return out, nil
}

// Load reads the entries that always apply and those of profile.
func Load(dir, profile string) ([]Entry, error) {
	profiles, err := Profiles(dir)
	if err != nil {
		return nil, err
	}
	found := false
	for _, p := range profiles {
		found = found || p == profile
	}
	if !found {
		return nil, fmt.Errorf("unknown mesh profile %q: known profiles: %s", profile, strings.Join(profiles, ", "))
	}
	base, err := loadDir(dir)
	if err != nil {
		return nil, err
	}
	prof, err := loadDir(filepath.Join(dir, "profiles", profile))
	if err != nil {
		return nil, err
	}
	for _, e := range prof {
		if e.Entry.GetMeta()[ProfileMetaKey] != profile {
			return nil, fmt.Errorf("%s: a profile entry must have Meta = { %s = %q }", e.File, ProfileMetaKey, profile)
		}
	}
	all := append(base, prof...)
	seen := map[string]string{}
	for _, e := range all {
		if e.Entry.GetKind() == consul.ServiceIntentions && e.Entry.GetName() == "*" {
			return nil, fmt.Errorf("%s: service-intentions/* is the cluster's own (its default for every service): svctl mesh writes only the project's services' entries; apply it once when the cluster is set up (envoy/setup/)", e.File)
		}
		if prev, dup := seen[e.Key()]; dup {
			return nil, fmt.Errorf("%s and %s both define %s", prev, e.File, e.Key())
		}
		seen[e.Key()] = e.File
	}
	return all, nil
}

func loadDir(dir string) ([]Entry, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.hcl"))
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", dir, err)
	}
	sort.Strings(files)
	var out []Entry
	for _, f := range files {
		e, err := LoadFile(f)
		if err != nil {
			return nil, err
		}
		out = append(out, Entry{File: f, Entry: e})
	}
	return out, nil
}

// LoadFile reads one config entry.
func LoadFile(path string) (consul.ConfigEntry, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	f, diags := hclsyntax.ParseConfig(src, path, hcl.InitialPos)
	if diags.HasErrors() {
		return nil, fmt.Errorf("parse %w", diags)
	}
	attrs, diags := f.Body.JustAttributes()
	if diags.HasErrors() {
		return nil, fmt.Errorf("%s: config entries use attribute syntax (Key = value): %w", path, diags)
	}
	obj := map[string]cty.Value{}
	for name, a := range attrs {
		// No evaluation context: a variable or a function call is refused,
		// as consul config write would refuse it.
		v, diags := a.Expr.Value(nil)
		if diags.HasErrors() {
			return nil, fmt.Errorf("evaluate %w", diags)
		}
		obj[name] = v
	}
	val := cty.ObjectVal(obj)
	raw, err := ctyjson.Marshal(val, val.Type())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	entry, err := consul.DecodeConfigEntry(m)
	if err != nil {
		return nil, fmt.Errorf("%s: not a valid config entry: %w", path, err)
	}
	return entry, nil
}
