package render

import (
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// HasTemplate reports whether the rendered job holds a task's template
// block (job > group > task > template). Nomad 1.6 lets only a submitter
// whose Consul token may read every key submit such a job, so svctl asks
// for that right before it builds. A job that does not parse has none:
// the render's own checks say what is wrong with it.
func HasTemplate(job string) bool {
	f, diags := hclsyntax.ParseConfig([]byte(job), "job.nomad.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		return false
	}
	body, ok := f.Body.(*hclsyntax.Body)
	return ok && hasBlockPath(body, "job", "group", "task", "template")
}

// hasBlockPath reports whether body has a block of types[0] holding one of
// types[1], and so on.
func hasBlockPath(body *hclsyntax.Body, types ...string) bool {
	for _, b := range body.Blocks {
		if b.Type != types[0] {
			continue
		}
		if len(types) == 1 || hasBlockPath(b.Body, types[1:]...) {
			return true
		}
	}
	return false
}
