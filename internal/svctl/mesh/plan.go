package mesh

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	consul "github.com/hashicorp/consul/api"
	"github.com/pmezard/go-difflib/difflib"
)

// Change is one entry that applying a profile writes or deletes, with what
// Consul holds of it now.
type Change struct {
	Key  string // kind/name
	File string // the file it comes from; "" for a delete
	// Diff is a unified diff of the entry as Consul holds it and as it
	// would be, as JSON.
	Diff string

	entry consul.ConfigEntry // nil: delete
	index uint64             // the ModifyIndex read; 0: absent
}

// Delete reports whether the change deletes the entry.
func (c Change) Delete() bool { return c.entry == nil }

// Plan returns what applying profile from dir would change in Consul, entry
// by entry, and nothing else: the profile's entries with the personal
// versions recorded in Consul, and the deletion of those only other profiles
// define. An intention is merged, not replaced: sources another party added
// to it stay. Entries that would not change are left out.
func Plan(c *consul.Client, dir, profile string) ([]Change, error) {
	entries, err := Rendered(c, dir, profile)
	if err != nil {
		return nil, err
	}
	stale, err := otherProfilesOnly(dir, profile, entries)
	if err != nil {
		return nil, err
	}
	var out []Change
	for _, e := range entries {
		cur, index, err := read[consul.ConfigEntry](c, e.Entry.GetKind(), e.Entry.GetName())
		if err != nil {
			return nil, err
		}
		want := e.Entry
		if in, ok := want.(*consul.ServiceIntentionsConfigEntry); ok && cur != nil {
			want = merged(cur.(*consul.ServiceIntentionsConfigEntry), in)
		}
		diff, err := entryDiff(cur, want)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", e.Key(), err)
		}
		if diff != "" {
			out = append(out, Change{Key: e.Key(), File: e.File, Diff: diff, entry: want, index: index})
		}
	}
	for _, e := range stale {
		cur, index, err := read[consul.ConfigEntry](c, e.Entry.GetKind(), e.Entry.GetName())
		if err != nil {
			return nil, err
		}
		if cur == nil {
			continue
		}
		diff, err := entryDiff(cur, nil)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", e.Key(), err)
		}
		out = append(out, Change{Key: e.Key(), Diff: diff, index: index})
	}
	return out, nil
}

// ApplyPlan makes the changes, each with a check-and-set against what Plan
// read: an entry changed since (by a teammate, or another svctl) is not
// overwritten; the error names it, and a new Plan shows the change anew.
func ApplyPlan(c *consul.Client, changes []Change) error {
	for _, ch := range changes {
		if ch.Delete() {
			kind, name, _ := strings.Cut(ch.Key, "/")
			ok, _, err := c.ConfigEntries().DeleteCAS(kind, name, ch.index, nil)
			if err != nil {
				return fmt.Errorf("delete %s (of another profile): %w", ch.Key, err)
			}
			if !ok {
				return fmt.Errorf("%s changed in Consul since it was read: nothing more was applied; run svctl mesh again to see the change", ch.Key)
			}
			continue
		}
		ok, _, err := c.ConfigEntries().CAS(ch.entry, ch.index, nil)
		if err != nil {
			return fmt.Errorf("write %s (%s): %w", ch.Key, ch.File, err)
		}
		if !ok {
			return fmt.Errorf("%s changed in Consul since it was read: nothing more was applied; run svctl mesh again to see the change", ch.Key)
		}
	}
	return nil
}

// merged is the intention cur with ours's sources: ours replace those of
// the same source, the others stay as they are.
func merged(cur, ours *consul.ServiceIntentionsConfigEntry) *consul.ServiceIntentionsConfigEntry {
	out := *ours
	key := func(s *consul.SourceIntention) string {
		return strings.Join([]string{s.Peer, s.Partition, s.Namespace, s.Name}, "/")
	}
	mine := map[string]bool{}
	for _, s := range ours.Sources {
		mine[key(s)] = true
	}
	out.Sources = slices.Clone(ours.Sources)
	for _, s := range cur.Sources {
		if !mine[key(s)] {
			out.Sources = append(out.Sources, s)
		}
	}
	if len(cur.Meta) > 0 {
		meta := maps.Clone(cur.Meta)
		maps.Copy(meta, ours.Meta)
		out.Meta = meta
	}
	return &out
}

// entryDiff is a unified diff of two entries (nil: none) as JSON, without
// what Consul adds of its own; "" when they are the same.
func entryDiff(cur, want consul.ConfigEntry) (string, error) {
	a, err := canonical(cur)
	if err != nil {
		return "", err
	}
	b, err := canonical(want)
	if err != nil {
		return "", err
	}
	if a == b {
		return "", nil
	}
	return difflib.GetUnifiedDiffString(difflib.UnifiedDiff{
		A: difflib.SplitLines(a), B: difflib.SplitLines(b),
		FromFile: "in Consul", ToFile: "to apply", Context: 3,
	})
}

// canonical is an entry as JSON with sorted keys, without the indexes,
// empty values and what Consul fills in itself (an intention source's
// precedence, type and legacy fields).
func canonical(e consul.ConfigEntry) (string, error) {
	if e == nil {
		return "", nil
	}
	raw, err := json.Marshal(e)
	if err != nil {
		return "", err
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return "", err
	}
	for _, k := range []string{"CreateIndex", "ModifyIndex", "Namespace", "Partition"} {
		delete(m, k)
	}
	if srcs, ok := m["Sources"].([]any); ok {
		for _, s := range srcs {
			if sm, ok := s.(map[string]any); ok {
				for _, k := range []string{"Precedence", "LegacyID", "LegacyCreateTime", "LegacyUpdateTime", "LegacyMeta"} {
					delete(sm, k)
				}
				if sm["Type"] == "consul" {
					delete(sm, "Type")
				}
			}
		}
	}
	prune(m)
	out, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return "", err
	}
	return string(out) + "\n", nil
}

// prune removes empty values (null, "", 0, false, {}, []) at any depth:
// Consul leaves out or fills in zeros of its own.
func prune(v any) bool {
	switch v := v.(type) {
	case nil:
		return true
	case string:
		return v == ""
	case float64:
		return v == 0
	case bool:
		return !v
	case map[string]any:
		for k, e := range v {
			if prune(e) {
				delete(v, k)
			}
		}
		return len(v) == 0
	case []any:
		for _, e := range v {
			prune(e)
		}
		return len(v) == 0
	}
	return false
}
