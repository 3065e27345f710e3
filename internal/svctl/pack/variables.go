package pack

import (
	"fmt"
	"os"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/typeexpr"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// Variable is one variable block of a pack's variables.hcl.
type Variable struct {
	// Name is the block's label, the name templates and --var use.
	Name string
	// Description is the description attribute, "" when absent.
	Description string
	// Type is the declared type constraint; cty.NilType when the block
	// declares no type, in which case values given as text stay strings.
	Type cty.Type
	// Default is the default value converted to Type; cty.NilVal when the
	// block has no default, which makes the variable required.
	Default cty.Value
	// DeclRange is where the block is declared, for error messages.
	DeclRange hcl.Range

	typeDefaults *typeexpr.Defaults
}

// HasDefault reports whether the variable declares a default value.
func (v *Variable) HasDefault() bool { return v.Default != cty.NilVal }

// TypeName returns the declared type as written in HCL, such as
// "list(string)", or "any" when no type is declared.
func (v *Variable) TypeName() string {
	if v.Type == cty.NilType {
		return "any"
	}
	return typeexpr.TypeString(v.Type)
}

var variablesFileSchema = &hcl.BodySchema{
	Blocks: []hcl.BlockHeaderSchema{
		{Type: "variable", LabelNames: []string{"name"}},
		{Type: "nomad_variable", LabelNames: []string{"name"}},
	},
}

var variableBlockSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "description"},
		{Name: "default"},
		{Name: "type"},
	},
	Blocks: []hcl.BlockHeaderSchema{
		{Type: "validation"},
	},
}

// loadVariables reads the variable blocks of the variables.hcl file at path,
// in the order they are declared.
func loadVariables(path string) ([]*Variable, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read variables: %w", err)
	}
	file, diags := hclparse.NewParser().ParseHCL(src, path)
	if diags.HasErrors() {
		return nil, diagError(diags)
	}
	content, diags := file.Body.Content(variablesFileSchema)
	if diags.HasErrors() {
		return nil, diagError(diags)
	}
	var vars []*Variable
	seen := make(map[string]*Variable)
	for _, block := range content.Blocks {
		if block.Type == "nomad_variable" {
			diags = diags.Append(unsupported(block, "nomad_variable blocks are not supported",
				"This renderer does not read Nomad variables; render the pack with nomad-pack or remove the block."))
			continue
		}
		v, vDiags := decodeVariable(block)
		diags = diags.Extend(vDiags)
		if v == nil {
			continue
		}
		if first, ok := seen[v.Name]; ok {
			diags = diags.Append(&hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Duplicate variable",
				Detail:   fmt.Sprintf("Variable %q was already declared at %s.", v.Name, first.DeclRange),
				Subject:  block.DefRange.Ptr(),
			})
			continue
		}
		seen[v.Name] = v
		vars = append(vars, v)
	}
	if diags.HasErrors() {
		return nil, diagError(diags)
	}
	return vars, nil
}

// decodeVariable decodes one variable block the way nomad-pack does: the
// type with typeexpr, the default evaluated without variables and converted
// to the type.
func decodeVariable(block *hcl.Block) (*Variable, hcl.Diagnostics) {
	content, diags := block.Body.Content(variableBlockSchema)
	if diags.HasErrors() {
		return nil, diags
	}
	v := &Variable{Name: block.Labels[0], DeclRange: block.DefRange}
	if !hclsyntax.ValidIdentifier(v.Name) {
		diags = diags.Append(&hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Invalid variable name",
			Detail:   "A variable name must start with a letter or underscore and may contain only letters, digits, underscores and dashes.",
			Subject:  block.LabelRanges[0].Ptr(),
		})
	}
	for _, b := range content.Blocks {
		diags = diags.Append(unsupported(b, "validation blocks are not supported",
			"This renderer does not evaluate validation rules; check the value in a template with Sprig's fail function instead."))
	}
	if attr, ok := content.Attributes["description"]; ok {
		val, vDiags := attr.Expr.Value(nil)
		diags = diags.Extend(vDiags)
		if !vDiags.HasErrors() {
			if val.Type() != cty.String || val.IsNull() {
				diags = diags.Append(&hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Invalid description",
					Detail:   fmt.Sprintf("The description must be a string, not %s.", val.Type().FriendlyName()),
					Subject:  attr.Expr.Range().Ptr(),
				})
			} else {
				v.Description = val.AsString()
			}
		}
	}
	if attr, ok := content.Attributes["type"]; ok {
		ty, defaults, tDiags := typeexpr.TypeConstraintWithDefaults(attr.Expr)
		diags = diags.Extend(tDiags)
		if !tDiags.HasErrors() {
			v.Type, v.typeDefaults = ty, defaults
		}
	}
	if attr, ok := content.Attributes["default"]; ok {
		val, vDiags := attr.Expr.Value(nil)
		diags = diags.Extend(vDiags)
		if !vDiags.HasErrors() {
			val, err := v.conform(val)
			if err != nil {
				diags = diags.Append(&hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Invalid default value",
					Detail:   fmt.Sprintf("The default of variable %q is not a %s: %s.", v.Name, v.TypeName(), err),
					Subject:  attr.Expr.Range().Ptr(),
				})
			} else {
				v.Default = val
			}
		}
	}
	if diags.HasErrors() {
		return nil, diags
	}
	return v, diags
}

// conform applies the type's optional-attribute defaults to val and converts
// it to the declared type. A variable with no type takes val as it is.
func (v *Variable) conform(val cty.Value) (cty.Value, error) {
	if v.Type == cty.NilType {
		return val, nil
	}
	if v.typeDefaults != nil && !val.IsNull() {
		val = v.typeDefaults.Apply(val)
	}
	return convert.Convert(val, v.Type)
}

// unsupported is the diagnostic for a block this renderer does not handle.
func unsupported(b *hcl.Block, summary, detail string) *hcl.Diagnostic {
	return &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  summary,
		Detail:   detail,
		Subject:  b.DefRange.Ptr(),
	}
}
