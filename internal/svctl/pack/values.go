package pack

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"math/big"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// Values holds a value for every variable of a pack, as plain Go values the
// templates can use: string; int, int64 or float64 (integral numbers are
// ints, so they render without ".0"); bool; []any for lists, sets and
// tuples ([]map[string]any when the elements are maps or objects, as in
// nomad-pack); map[string]any for maps and objects; nil for null.
type Values map[string]any

// Values returns the pack's variable values: each variable's default,
// replaced by the override of the same name if there is one. Overrides are
// the text of the CLI's --var name=value flags: a variable of type string or
// number, or without a type, takes the text literally; any other type reads
// it as an HCL expression, such as ["dc1", "dc2"] or true. The result is
// converted to the variable's type.
//
// It fails, naming the variables concerned, when an override names no
// declared variable, when a value does not fit its variable's type, and when
// a variable without a default has no override. Text that is not valid UTF-8
// or not in Unicode normal form C is refused: HCL, and so Nomad, would store
// it changed.
func (p *Pack) Values(overrides map[string]string) (Values, error) {
	byName := make(map[string]*Variable, len(p.Variables))
	for _, v := range p.Variables {
		byName[v.Name] = v
	}
	var unknown, invalid, missing []error
	for _, name := range slices.Sorted(maps.Keys(overrides)) {
		if _, ok := byName[name]; !ok {
			unknown = append(unknown, fmt.Errorf("unknown variable %q; pack %s declares: %s",
				name, p.Metadata.Pack.Name, strings.Join(p.variableNames(), ", ")))
		}
	}
	vals := make(Values, len(p.Variables))
	for _, v := range p.Variables {
		raw, overridden := overrides[v.Name]
		switch {
		case overridden:
			val, err := v.parseOverride(raw)
			if err != nil {
				invalid = append(invalid, err)
				continue
			}
			vals[v.Name] = val
		case v.HasDefault():
			val, err := ctyToGo(v.Default)
			if err != nil {
				invalid = append(invalid, fmt.Errorf("variable %q (%s): default: %w", v.Name, v.TypeName(), err))
				continue
			}
			vals[v.Name] = val
		default:
			missing = append(missing, fmt.Errorf("variable %q (%s) has no default and was not set; set it with --var %s=VALUE",
				v.Name, v.TypeName(), v.Name))
		}
	}
	if err := errors.Join(slices.Concat(unknown, invalid, missing)...); err != nil {
		return nil, fmt.Errorf("pack %s: %w", p.Metadata.Pack.Name, err)
	}
	return vals, nil
}

// parseOverride converts the text of a --var override to the variable's
// type, following nomad-pack's rules, and returns it as a template value.
func (v *Variable) parseOverride(raw string) (any, error) {
	bad := func(reason string) error {
		return fmt.Errorf("variable %q is %s; cannot use %q: %s", v.Name, v.TypeName(), raw, reason)
	}
	if !utf8.ValidString(raw) {
		return nil, bad("the value is not valid UTF-8")
	}
	if cty.NormalizeString(raw) != raw {
		return nil, bad("the value is not in Unicode normal form C, and HCL would change it")
	}
	var val cty.Value
	switch v.Type {
	case cty.NilType, cty.String, cty.Number:
		val = cty.StringVal(raw)
	default:
		filename := fmt.Sprintf("<value for var %s>", v.Name)
		expr, diags := hclsyntax.ParseExpression([]byte(raw), filename, hcl.Pos{Line: 1, Column: 1})
		if diags.HasErrors() {
			return nil, bad(diagSummary(diags))
		}
		if val, diags = expr.Value(nil); diags.HasErrors() {
			return nil, bad(diagSummary(diags))
		}
	}
	val, err := v.conform(val)
	if err != nil {
		return nil, bad(err.Error())
	}
	goVal, err := ctyToGo(val)
	if err != nil {
		return nil, bad(err.Error())
	}
	return goVal, nil
}

// diagSummary is the first error of diags in one line, without its position
// in the one-line override text.
func diagSummary(diags hcl.Diagnostics) string {
	for _, d := range diags {
		if d.Severity == hcl.DiagError {
			if d.Detail == "" {
				return d.Summary
			}
			return d.Summary + ": " + d.Detail
		}
	}
	return "invalid value"
}

// ctyToGo converts a known cty value into the plain Go values templates
// receive, the way nomad-pack does.
func ctyToGo(val cty.Value) (any, error) {
	if val.IsNull() {
		return nil, nil
	}
	if !val.IsWhollyKnown() {
		return nil, errors.New("the value is not known")
	}
	ty := val.Type()
	switch {
	case ty == cty.String:
		return val.AsString(), nil
	case ty == cty.Number:
		return goNumber(val.AsBigFloat())
	case ty == cty.Bool:
		return val.True(), nil
	case isCollectionOfMaps(ty):
		out := []map[string]any{}
		for it := val.ElementIterator(); it.Next(); {
			_, ev := it.Element()
			m, err := ctyToGo(ev)
			if err != nil {
				return nil, err
			}
			mm, _ := m.(map[string]any)
			out = append(out, mm)
		}
		return out, nil
	case ty.IsListType(), ty.IsSetType(), ty.IsTupleType():
		out := []any{}
		for it := val.ElementIterator(); it.Next(); {
			_, ev := it.Element()
			e, err := ctyToGo(ev)
			if err != nil {
				return nil, err
			}
			out = append(out, e)
		}
		return out, nil
	case ty.IsMapType(), ty.IsObjectType():
		out := map[string]any{}
		for it := val.ElementIterator(); it.Next(); {
			k, ev := it.Element()
			e, err := ctyToGo(ev)
			if err != nil {
				return nil, err
			}
			out[k.AsString()] = e
		}
		return out, nil
	default:
		return nil, fmt.Errorf("values of type %s cannot be passed to templates", ty.FriendlyName())
	}
}

// goNumber returns n as an int when it is integral and fits, else as an
// int64 or a float64. Infinite numbers, which no HCL literal can write, are
// refused.
func goNumber(n *big.Float) (any, error) {
	if n.IsInf() {
		return nil, errors.New("the number is infinite")
	}
	if i, acc := n.Int64(); acc == big.Exact {
		if int64(int(i)) == i {
			return int(i), nil
		}
		return i, nil
	}
	f, _ := n.Float64()
	if math.IsInf(f, 0) {
		return nil, fmt.Errorf("the number %s is too large", n.Text('g', 10))
	}
	return f, nil
}

// isCollectionOfMaps reports whether ty is a list, set or non-empty tuple
// whose elements are all maps or objects.
func isCollectionOfMaps(ty cty.Type) bool {
	switch {
	case ty.IsListType(), ty.IsSetType():
		et := ty.ElementType()
		return et.IsMapType() || et.IsObjectType()
	case ty.IsTupleType():
		ets := ty.TupleElementTypes()
		for _, et := range ets {
			if !et.IsMapType() && !et.IsObjectType() {
				return false
			}
		}
		return len(ets) > 0
	default:
		return false
	}
}
