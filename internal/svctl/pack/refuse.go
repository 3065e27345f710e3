package pack

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"text/template"
	"text/template/parse"
)

// refused are the Sprig functions a pack may not call: they read the
// machine that renders the job, whose values would then travel in the job
// to the cluster (a token in the shell's environment, say). Sprig's other
// functions read nothing of the machine but the clock, randomness and, for
// the dates they read or write in local time (date, htmlDate, toDate,
// mustToDate), its time zone (TZ, /etc/localtime).
var refused = map[string]bool{
	"env":           true, // os.Getenv
	"expandenv":     true, // os.ExpandEnv
	"getHostByName": true, // this machine's resolver: its /etc/hosts and DNS
}

// refusedWhy is the reason every refusal gives.
const refusedWhy = "a job must not carry the environment of the machine that renders it"

// refusedError is the error of a refused function called all the same.
func refusedError(name string) error {
	return fmt.Errorf("%s, which packs may not call: %s", name, refusedWhy)
}

// refuseReads refuses every call, in any template of t, of a function
// packs may not call, each error naming the function and where the
// template calls it (file:line:column), in file and then call order.
func refuseReads(t *template.Template) error {
	type call struct {
		file string
		pos  parse.Pos
		err  error
	}
	var calls []call
	for _, tmpl := range t.Templates() {
		tree := tmpl.Tree
		if tree == nil || tree.Root == nil {
			continue
		}
		walk(tree.Root, func(n parse.Node) {
			if id, ok := n.(*parse.IdentifierNode); ok && refused[id.Ident] {
				where, _ := tree.ErrorContext(id)
				calls = append(calls, call{tree.ParseName, id.Pos, fmt.Errorf("template %s uses %w", where, refusedError(id.Ident))})
			}
		})
	}
	slices.SortFunc(calls, func(a, b call) int { return cmp.Or(cmp.Compare(a.file, b.file), cmp.Compare(a.pos, b.pos)) })
	errs := make([]error, len(calls))
	for i, c := range calls {
		errs[i] = c.err
	}
	return errors.Join(errs...)
}

// walk calls f on n and on every node under it.
func walk(n parse.Node, f func(parse.Node)) {
	if n == nil {
		return
	}
	f(n)
	switch n := n.(type) {
	case *parse.ListNode:
		if n == nil {
			return
		}
		for _, c := range n.Nodes {
			walk(c, f)
		}
	case *parse.ActionNode:
		walkPipe(n.Pipe, f)
	case *parse.PipeNode:
		walkPipe(n, f)
	case *parse.CommandNode:
		for _, a := range n.Args {
			walk(a, f)
		}
	case *parse.ChainNode:
		walk(n.Node, f)
	case *parse.IfNode:
		walkBranch(&n.BranchNode, f)
	case *parse.RangeNode:
		walkBranch(&n.BranchNode, f)
	case *parse.WithNode:
		walkBranch(&n.BranchNode, f)
	case *parse.TemplateNode:
		walkPipe(n.Pipe, f)
	}
}

func walkPipe(p *parse.PipeNode, f func(parse.Node)) {
	if p == nil {
		return
	}
	for _, c := range p.Cmds {
		walk(c, f)
	}
}

func walkBranch(b *parse.BranchNode, f func(parse.Node)) {
	walkPipe(b.Pipe, f)
	if b.List != nil {
		walk(b.List, f)
	}
	if b.ElseList != nil {
		walk(b.ElseList, f)
	}
}
