package access

import (
	"fmt"
	"reflect"

	nomad "github.com/hashicorp/nomad/api"
)

// ParsesAsTheAgent reports how svctl's reading of policy name's rules
// (parseRules, its fallback) differs from the agent's own (RulesJSON), nil
// if it does not.
func ParsesAsTheAgent(nc *nomad.Client, name string) error {
	var p struct {
		Rules     string
		RulesJSON *policyRules
	}
	if _, err := nc.Raw().Query("/v1/acl/policy/"+name, &p, nil); err != nil {
		return err
	}
	mine, err := parseRules(name, p.Rules)
	if err != nil {
		return err
	}
	if !reflect.DeepEqual(normal(mine), normal(p.RulesJSON)) {
		return fmt.Errorf("svctl reads %s, the agent %s", show(mine), show(p.RulesJSON))
	}
	return nil
}

// normal drops the difference between no list and an empty one.
func normal(p *policyRules) *policyRules {
	q := &policyRules{Node: p.Node}
	for _, ns := range p.Namespaces {
		n := *ns
		if len(n.Capabilities) == 0 {
			n.Capabilities = nil
		}
		if n.Variables != nil {
			v := &variablesRules{}
			for _, path := range n.Variables.Paths {
				pp := *path
				if len(pp.Capabilities) == 0 {
					pp.Capabilities = nil
				}
				v.Paths = append(v.Paths, &pp)
			}
			n.Variables = v
		}
		q.Namespaces = append(q.Namespaces, &n)
	}
	return q
}

func show(p *policyRules) string {
	s := ""
	for _, ns := range p.Namespaces {
		s += fmt.Sprintf("namespace %q %q %v", ns.Name, ns.Policy, ns.Capabilities)
		if ns.Variables != nil {
			for _, path := range ns.Variables.Paths {
				s += fmt.Sprintf(" path %q %v", path.PathSpec, path.Capabilities)
			}
		}
		s += "; "
	}
	if p.Node != nil {
		s += "node " + p.Node.Policy
	}
	return s
}
