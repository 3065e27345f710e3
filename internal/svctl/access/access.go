// Package access checks, before a command changes anything, that the
// command's tokens hold the rights it needs, and names the one missing.
//
// A command lists what it needs (Need: a Nomad namespace capability, node
// read, a Nomad variables capability, a Consul service, intentions, key
// prefix or node right), each with why svctl needs it, and calls Check once
// with both agents' clients. Check asks each agent once: Consul which of the
// rights its token holds (POST /v1/internal/acl/authorize, one call), Nomad,
// which has no such endpoint in v1.6, for the token, its roles and policies,
// which it then evaluates as Nomad does (see nomadacl.go). A missing right
// is a *MissingError: one line naming the right, the namespace or service,
// the rule a policy needs, and that nothing was changed. A token is never
// printed; a Nomad token is named by the start of its accessor.
//
// With a cluster's ACLs off every right is held; so it is for a Nomad
// management token.
package access

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	consul "github.com/hashicorp/consul/api"
	nomad "github.com/hashicorp/nomad/api"
)

// Nomad namespace capabilities svctl needs (acl/policy.go's names).
const (
	CapSubmitJob      = "submit-job"
	CapReadJob        = "read-job"
	CapListJobs       = "list-jobs"
	CapReadLogs       = "read-logs" // held also through read-fs, as Nomad's log endpoints accept either
	CapReadFS         = "read-fs"
	CapAllocLifecycle = "alloc-lifecycle"
	CapDeny           = "deny" // not a right: what a policy's deny stands for
)

// Nomad variables capabilities.
const (
	VarList    = "list"
	VarRead    = "read"
	VarWrite   = "write"
	VarDestroy = "destroy"
	VarDeny    = "deny" // not a right: what a path's deny stands for
)

// Consul access levels.
const (
	Read  = "read"
	Write = "write"
)

type kind int

const (
	nomadNamespace kind = iota
	nomadNode
	nomadVariables
	consulService
	consulIntentions
	consulKeyPrefix
	consulNode
)

// Need is one right a command needs, and why. Make it with the functions
// below (NomadNamespace, ConsulService, ...).
type Need struct {
	// Why says what svctl does with the right, for the user: "to submit
	// the version's job", "its config entries and intentions".
	Why string

	kind      kind
	namespace string // Nomad; "" is the namespace given to Check
	cap       string // Nomad: namespace or variables capability
	path      string // Nomad: variables path
	name      string // Consul: service, key prefix or node name
	access    string // Consul: Read or Write
}

// NomadNamespace needs the capability (CapSubmitJob, ...) in the namespace
// Check is given, or the one set by In.
func NomadNamespace(capability, why string) Need {
	return Need{Why: why, kind: nomadNamespace, cap: capability}
}

// NomadNodeRead needs node read (listing and reading the cluster's nodes).
func NomadNodeRead(why string) Need { return Need{Why: why, kind: nomadNode} }

// NomadVariables needs the capability (VarList, VarRead, ...) on the
// variables path, in the namespace Check is given or the one set by In.
// Nomad checks a variable's own path: listing under a prefix returns only
// the variables whose paths the token may list, and refuses none, so name
// a path the command lists, reads or writes.
func NomadVariables(path, capability, why string) Need {
	return Need{Why: why, kind: nomadVariables, path: path, cap: capability}
}

// ConsulService needs access (Read or Write) on the Consul service: its
// registrations, and with Write its config entries (service-defaults,
// resolver, router, splitter).
func ConsulService(name, access, why string) Need {
	return Need{Why: why, kind: consulService, name: name, access: access}
}

// ConsulIntentions needs to write the intentions whose destination is the
// Consul service.
func ConsulIntentions(name, why string) Need {
	return Need{Why: why, kind: consulIntentions, name: name, access: Write}
}

// ConsulKeyPrefix needs access (Read or Write) on every key under the
// prefix of Consul's KV store.
func ConsulKeyPrefix(prefix, access, why string) Need {
	return Need{Why: why, kind: consulKeyPrefix, name: prefix, access: access}
}

// ConsulNodeRead needs to read the Consul node (every node if name is "").
func ConsulNodeRead(name, why string) Need {
	return Need{Why: why, kind: consulNode, name: name, access: Read}
}

// In returns the Nomad need for namespace ns rather than Check's.
func (n Need) In(ns string) Need {
	n.namespace = ns
	return n
}

// Agent is the agent that grants the right: "nomad" or "consul".
func (n Need) Agent() string {
	if n.kind <= nomadVariables {
		return "nomad"
	}
	return "consul"
}

// right is the need in words, after "may not": "submit-job in namespace
// team-a", "write service web".
func (n Need) right(ns string) string {
	if ns == "" {
		ns = "(the command's)"
	}
	switch n.kind {
	case nomadNamespace:
		return fmt.Sprintf("%s in namespace %s", n.cap, ns)
	case nomadNode:
		return "read nodes"
	case nomadVariables:
		return fmt.Sprintf("%s variables at %s in namespace %s", n.cap, n.path, ns)
	case consulService:
		return fmt.Sprintf("%s service %s", n.access, n.name)
	case consulIntentions:
		return "write intentions to service " + n.name
	case consulKeyPrefix:
		return fmt.Sprintf("%s keys under %q", n.access, n.name)
	default:
		if n.name == "" {
			return "read nodes"
		}
		return "read node " + n.name
	}
}

// String is the need in words, with why: "submit-job in namespace team-a
// (to submit the version's job)".
func (n Need) String() string {
	if n.Why == "" {
		return n.right(n.namespace)
	}
	return n.right(n.namespace) + " (" + n.Why + ")"
}

// MissingError is a right the command's token lacks: one line for the user.
type MissingError struct {
	Agent string // "nomad" or "consul"
	Token string // the token, named without its secret: "the token (NOMAD_TOKEN, accessor 1a2b3c4d…)"
	Need  Need   // with its namespace resolved
	Fix   string // the rule a policy of the token needs
	Note  string // what svctl could not read of the token's rights, if anything
}

func (e *MissingError) Error() string {
	s := fmt.Sprintf("%s: %s may not %s: a policy needs %s", e.Agent, e.Token, e.Need, e.Fix)
	if e.Note != "" {
		s += "; " + e.Note
	}
	return s + "; nothing was changed"
}

// Check returns nil if the tokens of nc and cc hold every need, else a
// *MissingError for the first need, in order, that one lacks. namespace is
// the Nomad namespace (a name, not "*") of the needs not set by In ("" is
// "default"). nc may be nil if no need is Nomad's, cc if none is Consul's;
// cc must be a client agents.Consul made (Consul's authorize endpoint takes
// POST only, see agents.ConsulPost).
//
// It changes nothing. It asks Nomad for the token, then its roles, then its
// policies (the calls of each step at the same time), Consul once for all
// its needs, and both agents at the same time. A token the agent does not
// know, or one expired, is an *agents.TokenError. If a role or policy of
// the token cannot be read, what it grants is not counted and a refusal
// says so.
func Check(ctx context.Context, nc *nomad.Client, cc *consul.Client, namespace string, needs ...Need) error {
	if namespace == "" {
		namespace = "default"
	}
	needs = append([]Need(nil), needs...) // the caller's stay as they are
	var nomadNeeds, consulNeeds []Need
	for i := range needs {
		if needs[i].namespace == "" {
			needs[i].namespace = namespace
		}
		if needs[i].Agent() == "nomad" {
			nomadNeeds = append(nomadNeeds, needs[i])
		} else {
			consulNeeds = append(consulNeeds, needs[i])
		}
	}
	if len(nomadNeeds) > 0 && nc == nil {
		return fmt.Errorf("access: %d Nomad needs and no Nomad client", len(nomadNeeds))
	}
	if len(consulNeeds) > 0 && cc == nil {
		return fmt.Errorf("access: %d Consul needs and no Consul client", len(consulNeeds))
	}

	var (
		wg              sync.WaitGroup
		nomadR          *nomadRights
		consulR         *consulRights
		nomadE, consulE error
	)
	if len(nomadNeeds) > 0 {
		wg.Add(1)
		go func() { defer wg.Done(); nomadR, nomadE = readNomadRights(ctx, nc) }()
	}
	if len(consulNeeds) > 0 {
		wg.Add(1)
		go func() { defer wg.Done(); consulR, consulE = readConsulRights(ctx, cc, consulNeeds) }()
	}
	wg.Wait()
	if nomadE != nil {
		return nomadE
	}
	if consulE != nil {
		return consulE
	}

	for _, n := range needs {
		if n.Agent() == "nomad" {
			if !nomadR.holds(n) {
				return &MissingError{Agent: "nomad", Token: nomadR.who, Need: n, Fix: fix(n, needs), Note: nomadR.note()}
			}
		} else if !consulR.holds(n) {
			return &MissingError{Agent: "consul", Token: consulR.who, Need: n, Fix: fix(n, needs)}
		}
	}
	return nil
}

// fix is the rule a policy needs to grant n, with every right of needs on
// the same block: a complete block to paste. (For Nomad this matters: a
// block for the exact namespace replaces, for that namespace, everything
// a glob block granted.)
func fix(n Need, needs []Need) string {
	same := func(m Need) bool {
		switch n.kind {
		case nomadNamespace, nomadVariables:
			return m.kind == n.kind && m.namespace == n.namespace && (n.kind == nomadNamespace || m.path == n.path)
		case consulService, consulIntentions:
			return (m.kind == consulService || m.kind == consulIntentions) && m.name == n.name
		default:
			return m.kind == n.kind && m.name == n.name
		}
	}
	var caps []string
	level, intentions := "", false
	for _, m := range needs {
		if !same(m) {
			continue
		}
		if m.cap != "" && !slices.Contains(caps, m.cap) {
			caps = append(caps, m.cap)
		}
		if m.kind == consulIntentions {
			intentions = true
		} else if m.access == Write || (m.access == Read && level == "") {
			level = m.access
		}
	}
	switch n.kind {
	case nomadNamespace:
		return fmt.Sprintf("namespace %q { capabilities = [%s] }", n.namespace, quoted(caps))
	case nomadVariables:
		return fmt.Sprintf("namespace %q { variables { path %q { capabilities = [%s] } } }", n.namespace, n.path, quoted(caps))
	case nomadNode:
		return `node { policy = "read" }`
	case consulService, consulIntentions:
		var parts []string
		if level != "" {
			parts = append(parts, fmt.Sprintf("policy = %q", level))
		}
		if intentions {
			parts = append(parts, `intentions = "write"`)
		}
		return fmt.Sprintf("service %q { %s }", n.name, strings.Join(parts, " "))
	case consulKeyPrefix:
		return fmt.Sprintf("key_prefix %q { policy = %q }", n.name, level)
	default:
		if n.name == "" {
			return `node_prefix "" { policy = "read" }`
		}
		return fmt.Sprintf("node %q { policy = \"read\" }", n.name)
	}
}

func quoted(list []string) string {
	q := make([]string, len(list))
	for i, s := range list {
		q[i] = fmt.Sprintf("%q", s)
	}
	return strings.Join(q, ", ")
}
