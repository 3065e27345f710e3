// Package mesh reads the Consul config entries kept in the envoy/ folder and
// applies them, with one of its routing profiles, to a Consul cluster.
//
// The folder holds entries that always apply (*.hcl: protocols, intentions)
// and one folder per routing profile (profiles/NAME/*.hcl) defining the same
// entries differently, so that applying a profile replaces the other one
// whole. Files are HCL in attribute syntax (`Key = value`, nested objects as
// `{ ... }`), each one config entry, as `consul config write` takes them;
// they may use the variable trust_domain (the cluster's Connect trust domain)
// and HCL's standard functions such as jsonencode.
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
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"
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

// Vars are the values files may refer to.
type Vars struct {
	TrustDomain string
}

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
func Load(dir, profile string, vars Vars) ([]Entry, error) {
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
	base, err := loadDir(dir, vars)
	if err != nil {
		return nil, err
	}
	prof, err := loadDir(filepath.Join(dir, "profiles", profile), vars)
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
		if prev, dup := seen[e.Key()]; dup {
			return nil, fmt.Errorf("%s and %s both define %s", prev, e.File, e.Key())
		}
		seen[e.Key()] = e.File
	}
	return all, nil
}

func loadDir(dir string, vars Vars) ([]Entry, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.hcl"))
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", dir, err)
	}
	sort.Strings(files)
	var out []Entry
	for _, f := range files {
		e, err := LoadFile(f, vars)
		if err != nil {
			return nil, err
		}
		out = append(out, Entry{File: f, Entry: e})
	}
	return out, nil
}

// LoadFile reads one config entry.
func LoadFile(path string, vars Vars) (consul.ConfigEntry, error) {
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
	ctx := evalContext(vars)
	obj := map[string]cty.Value{}
	for name, a := range attrs {
		v, diags := a.Expr.Value(ctx)
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

func evalContext(vars Vars) *hcl.EvalContext {
	return &hcl.EvalContext{
		Variables: map[string]cty.Value{"trust_domain": cty.StringVal(vars.TrustDomain)},
		Functions: map[string]function.Function{
			"jsonencode": stdlib.JSONEncodeFunc,
			"format":     stdlib.FormatFunc,
			"join":       stdlib.JoinFunc,
		},
	}
}
