// Package pack loads and renders packs in nomad-pack's format.
//
// A pack is a folder: metadata.hcl (app { url }, pack { name, description,
// version }), variables.hcl (typed, documented variable blocks), one or more
// job templates templates/<name>.nomad.tpl, helper templates
// templates/_<name>.tpl, an optional outputs.tpl and a README.md.
//
// Templates are Go text/templates with [[ ]] delimiters, Sprig's functions
// and nomad-pack's context functions (var, must_var, vars, meta, must_meta,
// metas), called on the template's dot as in nomad-pack 0.1 and later:
//
//	[[ var "deploy_name" . ]]
//	[[ meta "pack.name" . ]]
//
// This package implements a subset of nomad-pack: a pack it renders renders
// the same with nomad-pack itself. It is stricter in places (an unknown
// variable or metadata key is an error, not an empty string) and leaves out
// pack dependencies, variable validation blocks and nomad_variable blocks.
// A template may not call Sprig's env, expandenv or getHostByName: a job
// must not carry the environment of the machine that renders it, so Load
// refuses a pack whose templates call one, naming it and where.
package pack
