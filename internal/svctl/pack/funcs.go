package pack

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"text/template"

	"github.com/Masterminds/sprig/v3"
)

// renderContext is the dot of every template, the counterpart of
// nomad-pack's template context: templates pass it to var and meta.
type renderContext struct {
	vars map[string]any
	meta map[string]any
}

// funcMap is Sprig's text functions plus nomad-pack's context functions,
// without the functions that read the machine that renders (refused).
// Those stay in the map as functions that fail, so that a template calling
// one parses and Load can refuse it by name (see refuseReads), not as an
// unknown function.
func funcMap() template.FuncMap {
	f := sprig.TxtFuncMap()
	for name := range refused {
		f[name] = func(...any) (string, error) { return "", refusedError(name) }
	}
	f["var"] = mustVar
	f["must_var"] = mustVar
	f["vars"] = func(c *renderContext) map[string]any { return maps.Clone(c.vars) }
	f["meta"] = mustMeta
	f["must_meta"] = mustMeta
	f["metas"] = func(c *renderContext) map[string]any { return maps.Clone(c.meta) }
	f["fail"] = func(msg string) (string, error) { return "", &FailError{Msg: msg} }
	return f
}

// FailError is a pack template's own refusal, its fail "message": the
// message is meant for the user as it is.
type FailError struct{ Msg string }

func (e *FailError) Error() string { return e.Msg }

// mustVar returns the value of the variable named key; a dotted key descends
// into map values. nomad-pack's var returns "" for an unknown key; here it is
// an error, so that a misspelt name cannot render as an empty value.
func mustVar(key string, c *renderContext) (any, error) {
	v, err := lookup(key, c.vars)
	if err != nil {
		return nil, fmt.Errorf("variable %s; declared variables: %s", err, strings.Join(slices.Sorted(maps.Keys(c.vars)), ", "))
	}
	return v, nil
}

// mustMeta returns the pack metadata at a dotted key such as "pack.name",
// "pack.version" or "app.url".
func mustMeta(key string, c *renderContext) (any, error) {
	v, err := lookup(key, c.meta)
	if err != nil {
		return nil, fmt.Errorf("metadata %s; known keys: app.url, pack.name, pack.description, pack.version, pack.path", err)
	}
	if _, isMap := v.(map[string]any); isMap {
		return nil, fmt.Errorf("metadata key %q names a block, not a value", key)
	}
	return v, nil
}

// lookup descends into m along the dot-separated parts of key.
func lookup(key string, m map[string]any) (any, error) {
	parts := strings.Split(key, ".")
	var cur any = m
	for i, part := range parts {
		mm, ok := cur.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("key %q: %q is not a map", key, strings.Join(parts[:i], "."))
		}
		if cur, ok = mm[part]; !ok {
			return nil, fmt.Errorf("key %q not found", key)
		}
	}
	return cur, nil
}
