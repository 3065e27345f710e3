package access

import (
	"sort"
	"strings"
)

// This file evaluates Nomad ACL policies as Nomad v1.6.5 does: it follows
// acl/acl.go (NewACL, AllowNamespaceOperation, AllowVariableOperation,
// AllowNodeRead, findClosestMatchingGlob) and acl/policy.go (the expansion
// of `policy = "..."`), read at
//
//	git -C /work/.mirror/hashicorp+nomad/repo show v1.6.5:acl/acl.go
//	git -C /work/.mirror/hashicorp+nomad/repo show v1.6.5:acl/policy.go
//
// Only what svctl asks about is kept: namespaces, their variables, node.

// policyRules is a policy as Nomad's acl.Parse leaves it, and as the policy
// endpoint returns it in RulesJSON: namespace policies already expanded
// into capabilities, variables paths with read implying list.
type policyRules struct {
	Namespaces []*namespaceRules
	Node       *levelRules
}

type namespaceRules struct {
	Name         string
	Policy       string
	Capabilities []string
	Variables    *variablesRules
}

type variablesRules struct {
	Paths []*pathRules
}

type pathRules struct {
	PathSpec     string
	Capabilities []string
}

type levelRules struct {
	Policy string
}

// capSet is a set of capabilities (acl.go's capabilitySet).
type capSet map[string]bool

// nomadACL is a token's compiled policies (acl.go's ACL).
type nomadACL struct {
	management bool

	namespaces         map[string]capSet // exact names
	wildcardNamespaces map[string]capSet // names with a *
	variables          map[string]capSet // namespace + "\x00" + path, neither with a *
	wildcardVariables  map[string]capSet // either with a *
	node               string
}

// compile merges policies as acl.go's NewACL does: capabilities add up
// across policies, a namespace's deny clears and beats everything granted
// to the same name (exact or glob), variables capabilities only add up, and
// node takes the greatest privilege, deny the greatest of all.
func compile(management bool, policies []*policyRules) *nomadACL {
	a := &nomadACL{
		management:         management,
		namespaces:         map[string]capSet{},
		wildcardNamespaces: map[string]capSet{},
		variables:          map[string]capSet{},
		wildcardVariables:  map[string]capSet{},
	}
	if management {
		return a
	}
	for _, p := range policies {
		for _, ns := range p.Namespaces {
			glob := strings.Contains(ns.Name, "*")
			set := a.namespaces
			if glob {
				set = a.wildcardNamespaces
			}
			caps := set[ns.Name]
			if caps == nil {
				// Created even when the block grants nothing: an exact
				// name then still beats every glob (acl.go does the same).
				caps = capSet{}
				set[ns.Name] = caps
			}
			if ns.Variables != nil {
				for _, pp := range ns.Variables.Paths {
					key := ns.Name + "\x00" + pp.PathSpec
					vset := a.variables
					if glob || strings.Contains(pp.PathSpec, "*") {
						vset = a.wildcardVariables
					}
					vcaps := vset[key]
					if vcaps == nil {
						vcaps = capSet{}
						vset[key] = vcaps
					}
					for _, c := range pp.Capabilities {
						vcaps[c] = true
					}
				}
			}
			if caps[CapDeny] {
				continue
			}
			for _, c := range ns.Capabilities {
				if c == CapDeny {
					clear(caps)
					caps[CapDeny] = true
					break
				}
				caps[c] = true
			}
		}
		if p.Node != nil {
			a.node = maxPrivilege(a.node, p.Node.Policy)
		}
	}
	return a
}

// maxPrivilege is acl.go's: deny beats write beats read beats list.
func maxPrivilege(a, b string) string {
	for _, level := range []string{"deny", "write", "read", "list"} {
		if a == level || b == level {
			return level
		}
	}
	return ""
}

// allowNamespace reports whether op is granted in namespace ns (a concrete
// name, not "*"): the exact block if there is one, else the closest glob.
func (a *nomadACL) allowNamespace(ns, op string) bool {
	if a.management {
		return true
	}
	caps, ok := a.namespaces[ns]
	if !ok {
		caps, ok = closestGlob(a.wildcardNamespaces, ns)
	}
	return ok && caps[op]
}

// allowVariable reports whether op is granted on the variables path in ns,
// for a token (no workload identity): the exact namespace and path, else
// the closest glob over namespace and path together.
func (a *nomadACL) allowVariable(ns, path, op string) bool {
	if a.management {
		return true
	}
	key := ns + "\x00" + path
	caps, ok := a.variables[key]
	if !ok {
		caps, ok = closestGlob(a.wildcardVariables, key)
	}
	return ok && caps[op]
}

// allowNodeRead is acl.go's AllowNodeRead.
func (a *nomadACL) allowNodeRead() bool {
	return a.management || a.node == "write" || a.node == "read"
}

// closestGlob is acl.go's findClosestMatchingGlob: of the globs that match
// name, the one with the smallest difference len(name) - len(glob) +
// count("*"), ties resolved as Nomad's stable sort (with its <= comparison)
// over the globs in byte order resolves them.
func closestGlob(globs map[string]capSet, name string) (capSet, bool) {
	type match struct {
		glob string
		diff int
	}
	keys := make([]string, 0, len(globs))
	for k := range globs {
		keys = append(keys, k)
	}
	sort.Strings(keys) // the radix tree's walk order
	var matches []match
	for _, k := range keys {
		if globMatch(k, name) {
			matches = append(matches, match{k, len(name) - len(k) + strings.Count(k, "*")})
		}
	}
	switch len(matches) {
	case 0:
		return nil, false
	case 1:
		return globs[matches[0].glob], true
	}
	sort.SliceStable(matches, func(i, j int) bool { return matches[i].diff <= matches[j].diff })
	return globs[matches[0].glob], true
}

// globMatch reports whether subject matches pattern, where * stands for any
// run of characters: the semantics of github.com/ryanuber/go-glob v1.0.0,
// which Nomad v1.6.5 uses. The literal parts must appear in order, the
// first at the start unless the pattern starts with *, and the last at the
// end unless it ends with *; each part is looked for after the previous one.
func globMatch(pattern, subject string) bool {
	if !strings.Contains(pattern, "*") {
		return pattern == subject
	}
	parts := strings.Split(pattern, "*")
	last := len(parts) - 1
	rest := subject
	for i, part := range parts[:last] {
		at := strings.Index(rest, part)
		if at < 0 || (i == 0 && at != 0) {
			return false
		}
		rest = rest[at+len(part):]
	}
	return strings.HasSuffix(pattern, "*") || strings.HasSuffix(rest, parts[last])
}
