package access

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	nomad "github.com/hashicorp/nomad/api"

	"microwizard/internal/svctl/agents"
)

// nomadRights are what the Nomad token may do.
type nomadRights struct {
	all   bool // ACLs are off, or a management token
	acl   *nomadACL
	who   string   // the token, for the message
	notes []string // what could not be read
}

func (r *nomadRights) holds(n Need) bool {
	if r.all {
		return true
	}
	switch n.kind {
	case nomadNamespace:
		if n.cap == CapReadLogs {
			// Nomad's log endpoints take read-fs as well as read-logs
			// (nomad/client_fs_endpoint.go, FileSystem.logs).
			return r.acl.allowNamespace(n.namespace, CapReadLogs) || r.acl.allowNamespace(n.namespace, CapReadFS)
		}
		return r.acl.allowNamespace(n.namespace, n.cap)
	case nomadNode:
		return r.acl.allowNodeRead()
	case nomadVariables:
		return r.acl.allowVariable(n.namespace, n.path, n.cap)
	}
	return false
}

func (r *nomadRights) note() string { return strings.Join(r.notes, "; ") }

// tokenSelf is what svctl reads of /v1/acl/token/self: never the secret.
type tokenSelf struct {
	AccessorID     string
	Name           string
	Type           string
	Policies       []string
	Roles          []struct{ ID, Name string }
	ExpirationTime *time.Time
}

// readNomadRights reads the token of nc, its roles and its policies. Nomad
// v1.6 lets a token read itself, the roles linked to it and the policies
// it holds directly or through them (nomad/acl_endpoint.go: GetPolicy,
// GetRoleByID), and anyone read the anonymous policy.
func readNomadRights(ctx context.Context, nc *nomad.Client) (*nomadRights, error) {
	q := func() *nomad.QueryOptions { return (&nomad.QueryOptions{}).WithContext(ctx) }
	var tok tokenSelf
	_, err := nc.Raw().Query("/v1/acl/token/self", &tok, q())
	var ue nomad.UnexpectedResponseError
	switch {
	case err == nil:
	case errors.As(err, &ue) && ue.StatusCode() == http.StatusBadRequest && strings.Contains(ue.Body(), "ACL support disabled"):
		return &nomadRights{all: true}, nil
	case errors.As(err, &ue) && strings.Contains(ue.Body(), "missing secret id"):
		// No NOMAD_TOKEN: Nomad applies the anonymous token, whose one
		// policy is the one named anonymous (if it exists).
		tok = tokenSelf{Type: "client", Policies: []string{"anonymous"}}
	default:
		if te := agents.NomadTokenError(err); te != nil {
			return nil, te
		}
		return nil, fmt.Errorf("nomad: read the token (NOMAD_TOKEN) to check its rights: %w", err)
	}
	r := &nomadRights{who: nomadWho(tok)}
	if tok.ExpirationTime != nil && tok.ExpirationTime.Before(time.Now()) {
		return nil, &agents.TokenError{Agent: "nomad", Env: "NOMAD_TOKEN", Reason: "ACL token expired at " + tok.ExpirationTime.UTC().Format(time.RFC3339)}
	}
	if tok.Type == "management" {
		r.all = true
		return r, nil
	}

	names := map[string]bool{}
	for _, p := range tok.Policies {
		names[p] = true
	}
	roles := make([]struct {
		Policies []struct{ Name string }
	}, len(tok.Roles))
	roleErrs := make([]error, len(tok.Roles))
	each(len(tok.Roles), func(i int) {
		_, roleErrs[i] = nc.Raw().Query("/v1/acl/role/"+tok.Roles[i].ID, &roles[i], q())
	})
	for i, role := range roles {
		if roleErrs[i] != nil {
			r.notes = append(r.notes, fmt.Sprintf("the token's role %s was not read (%v), so its rights are not counted", tok.Roles[i].Name, roleErrs[i]))
			continue
		}
		for _, p := range role.Policies {
			names[p.Name] = true
		}
	}

	sorted := make([]string, 0, len(names))
	for n := range names {
		sorted = append(sorted, n)
	}
	sort.Strings(sorted)
	type policy struct {
		Name      string
		Rules     string
		RulesJSON *policyRules
	}
	policies := make([]policy, len(sorted))
	policyErrs := make([]error, len(sorted))
	each(len(sorted), func(i int) {
		_, policyErrs[i] = nc.Raw().Query("/v1/acl/policy/"+sorted[i], &policies[i], q())
	})
	var rules []*policyRules
	for i, p := range policies {
		switch err := policyErrs[i]; {
		case errors.As(err, &ue) && ue.StatusCode() == http.StatusNotFound:
			// A policy deleted since: Nomad skips it too (nomad/acl.go).
		case err != nil:
			r.notes = append(r.notes, fmt.Sprintf("the token's policy %s was not read (%v), so its rights are not counted", sorted[i], err))
		case p.RulesJSON != nil:
			// The agent's own reading of the rules (acl.Parse), expanded.
			rules = append(rules, p.RulesJSON)
		default:
			parsed, err := parseRules(sorted[i], p.Rules)
			if err != nil {
				r.notes = append(r.notes, fmt.Sprintf("svctl could not read the token's policy %s (%v), so its rights are not counted", sorted[i], err))
				continue
			}
			rules = append(rules, parsed)
		}
	}
	r.acl = compile(false, rules)
	return r, nil
}

// nomadWho names the token for a message, by the start of its accessor.
func nomadWho(t tokenSelf) string {
	if t.AccessorID == "" {
		return "the anonymous token (NOMAD_TOKEN is not set)"
	}
	accessor := t.AccessorID
	if len(accessor) > 8 {
		accessor = accessor[:8] + "…"
	}
	if t.Name != "" {
		return fmt.Sprintf("the token %q (NOMAD_TOKEN, accessor %s)", t.Name, accessor)
	}
	return fmt.Sprintf("the token (NOMAD_TOKEN, accessor %s)", accessor)
}

// each runs f(0..n-1) at the same time and waits for all.
func each(n int, f func(int)) {
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); f(i) }()
	}
	wg.Wait()
}
