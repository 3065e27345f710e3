package pack

import (
	"errors"
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/zclconf/go-cty/cty"
)

// Render executes each job template of the pack with values and returns the
// jobs keyed by template file name without ".tpl", such as
// "lobsters-popularity.nomad". As in nomad-pack, a template that renders to
// nothing but white space yields no job. values must hold exactly the pack's
// variables, as Values returns them. Errors name the template file and line.
func (p *Pack) Render(values Values) (map[string]string, error) {
	ctx, err := p.context(values)
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(p.jobTemplates))
	for _, name := range p.jobTemplates {
		text, err := p.execute(name, ctx)
		if err != nil {
			return nil, err
		}
		if strings.TrimSpace(text) == "" {
			continue
		}
		out[strings.TrimSuffix(path.Base(name), ".tpl")] = text
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("render pack %s: every job template rendered empty", p.Metadata.Pack.Name)
	}
	return out, nil
}

// context checks values against the pack's variables and builds the dot
// passed to templates.
func (p *Pack) context(values Values) (*renderContext, error) {
	var errs []error
	declared := make(map[string]bool, len(p.Variables))
	for _, v := range p.Variables {
		declared[v.Name] = true
		if _, ok := values[v.Name]; !ok {
			errs = append(errs, fmt.Errorf("no value for variable %q", v.Name))
		}
	}
	for _, name := range slices.Sorted(maps.Keys(values)) {
		if !declared[name] {
			errs = append(errs, fmt.Errorf("value for undeclared variable %q", name))
		}
		// Values that did not come through a --var (svctl's own, such as
		// meta, and the pack's defaults) are held to the same rule.
		if err := keptByHCL(name, values[name]); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("render pack %s: %w", p.Metadata.Pack.Name, err)
	}
	return &renderContext{vars: maps.Clone(values), meta: p.Metadata.asMap(p.Dir)}, nil
}

// execute runs the template called name, whose file it names in errors.
func (p *Pack) execute(name string, ctx *renderContext) (string, error) {
	var b strings.Builder
	if err := p.templates.ExecuteTemplate(&b, name, ctx); err != nil {
		// A template's own fail says what is wrong in words for the user;
		// where in the template it was raised is not.
		var fail *FailError
		if errors.As(err, &fail) {
			return "", fmt.Errorf("pack %s: %w", p.Metadata.Pack.Name, fail)
		}
		return "", fmt.Errorf("render pack %s: %w", p.Metadata.Pack.Name, err)
	}
	return b.String(), nil
}

// keptByHCL refuses a string, at any depth of a value, that HCL would not
// give back as it is: invalid UTF-8, or not in Unicode normal form C.
func keptByHCL(name string, v any) error {
	switch v := v.(type) {
	case string:
		if !utf8.ValidString(v) {
			return fmt.Errorf("variable %s holds %q, which is not valid UTF-8", name, v)
		}
		if cty.NormalizeString(v) != v {
			return fmt.Errorf("variable %s holds %q, which is not in Unicode normal form C, and HCL would change it", name, v)
		}
	case map[string]any:
		for _, k := range slices.Sorted(maps.Keys(v)) {
			if err := keptByHCL(name+"."+k, k); err != nil {
				return err
			}
			if err := keptByHCL(name+"."+k, v[k]); err != nil {
				return err
			}
		}
	case []any:
		for i, e := range v {
			if err := keptByHCL(fmt.Sprintf("%s[%d]", name, i), e); err != nil {
				return err
			}
		}
	}
	return nil
}
