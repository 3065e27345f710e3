package access

import (
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	hcljson "github.com/hashicorp/hcl/v2/json"
)

// hclPolicy is the part of a Nomad policy's rules svctl reads; the rest
// (agent, operator, node_pool, host_volume, ...) is left alone.
type hclPolicy struct {
	Namespaces []hclNamespace `hcl:"namespace,block"`
	Node       *hclLevel      `hcl:"node,block"`
	Rest       hcl.Body       `hcl:",remain"`
}

type hclNamespace struct {
	Name         string        `hcl:"name,label"`
	Policy       string        `hcl:"policy,optional"`
	Capabilities []string      `hcl:"capabilities,optional"`
	Variables    *hclVariables `hcl:"variables,block"`
	Rest         hcl.Body      `hcl:",remain"`
}

type hclVariables struct {
	Paths []hclPath `hcl:"path,block"`
}

type hclPath struct {
	Spec         string   `hcl:"spec,label"`
	Capabilities []string `hcl:"capabilities,optional"`
}

type hclLevel struct {
	Policy string   `hcl:"policy,optional"`
	Rest   hcl.Body `hcl:",remain"`
}

// parseRules reads a policy's rules (HCL, or JSON if they start with "{")
// and expands them as Nomad's acl.Parse does (acl/policy.go): a namespace's
// policy adds its capabilities (expandNamespacePolicy), and a variables
// path's read adds list (expandVariablesCapabilities). svctl uses it when
// the agent does not send its own reading of the rules (RulesJSON).
func parseRules(name, rules string) (*policyRules, error) {
	var (
		file  *hcl.File
		diags hcl.Diagnostics
	)
	if strings.HasPrefix(strings.TrimSpace(rules), "{") {
		file, diags = hcljson.Parse([]byte(rules), name+".json")
	} else {
		file, diags = hclsyntax.ParseConfig([]byte(rules), name+".hcl", hcl.InitialPos)
	}
	if diags.HasErrors() {
		return nil, fmt.Errorf("parse the rules of policy %s: %s", name, diags.Error())
	}
	var p hclPolicy
	if diags := gohcl.DecodeBody(file.Body, nil, &p); diags.HasErrors() {
		return nil, fmt.Errorf("read the rules of policy %s: %s", name, diags.Error())
	}
	out := &policyRules{}
	for _, ns := range p.Namespaces {
		r := &namespaceRules{Name: ns.Name, Policy: ns.Policy, Capabilities: append(ns.Capabilities, expandNamespacePolicy(ns.Policy)...)}
		if ns.Variables != nil {
			r.Variables = &variablesRules{}
			for _, path := range ns.Variables.Paths {
				r.Variables.Paths = append(r.Variables.Paths, &pathRules{PathSpec: path.Spec, Capabilities: expandVariablesCapabilities(path.Capabilities)})
			}
		}
		out.Namespaces = append(out.Namespaces, r)
	}
	if p.Node != nil {
		out.Node = &levelRules{Policy: p.Node.Policy}
	}
	return out, nil
}

// expandNamespacePolicy is acl/policy.go's: the capabilities a namespace's
// `policy = "..."` stands for.
func expandNamespacePolicy(policy string) []string {
	read := []string{CapListJobs, "parse-job", CapReadJob, "csi-list-volume", "csi-read-volume",
		"read-job-scaling", "list-scaling-policies", "read-scaling-policy"}
	switch policy {
	case "deny":
		return []string{CapDeny}
	case "read":
		return read
	case "write":
		return append(read, "scale-job", CapSubmitJob, "dispatch-job", CapReadLogs, CapReadFS,
			"alloc-exec", CapAllocLifecycle, "csi-mount-volume", "csi-write-volume", "submit-recommendation")
	case "scale":
		return []string{"list-scaling-policies", "read-scaling-policy", "read-job-scaling", "scale-job"}
	}
	return nil
}

// expandVariablesCapabilities is acl/policy.go's: deny alone stays, and
// read brings list.
func expandVariablesCapabilities(caps []string) []string {
	var read, list bool
	for _, c := range caps {
		switch c {
		case VarDeny:
			return []string{VarDeny}
		case VarRead:
			read = true
		case VarList:
			list = true
		}
	}
	if read && !list {
		caps = append(caps, VarList)
	}
	return caps
}
