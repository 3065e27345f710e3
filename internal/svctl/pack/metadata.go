package pack

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/zclconf/go-cty/cty"
)

// Metadata is the content of a pack's metadata.hcl.
type Metadata struct {
	App  AppMetadata
	Pack PackMetadata
}

// AppMetadata is metadata.hcl's app block: the application the pack deploys.
type AppMetadata struct {
	URL string
}

// PackMetadata is metadata.hcl's pack block.
type PackMetadata struct {
	Name        string
	Description string
	Version     string
}

// metadataSchema is the schema of metadata.hcl, as nomad-pack reads it:
// app and pack are required, integration is accepted and ignored, and
// dependency is refused below.
var metadataSchema = &hcl.BodySchema{
	Blocks: []hcl.BlockHeaderSchema{
		{Type: "app"},
		{Type: "pack"},
		{Type: "integration"},
		{Type: "dependency", LabelNames: []string{"name"}},
	},
}

var appSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "url", Required: true},
		{Name: "author"},
	},
}

var packSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "name", Required: true},
		{Name: "alias"},
		{Name: "description"},
		{Name: "url"},
		{Name: "version", Required: true},
	},
}

// loadMetadata reads and decodes the metadata.hcl file at path.
func loadMetadata(path string) (Metadata, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return Metadata{}, fmt.Errorf("read metadata: %w", err)
	}
	file, diags := hclparse.NewParser().ParseHCL(src, path)
	if diags.HasErrors() {
		return Metadata{}, diagError(diags)
	}
	content, diags := file.Body.Content(metadataSchema)
	if diags.HasErrors() {
		return Metadata{}, diagError(diags)
	}
	var (
		m          Metadata
		app, pack  []*hcl.Block
		blockDiags hcl.Diagnostics
	)
	for _, b := range content.Blocks {
		switch b.Type {
		case "app":
			app = append(app, b)
		case "pack":
			pack = append(pack, b)
		case "dependency":
			blockDiags = blockDiags.Append(unsupported(b, "Pack dependencies are not supported",
				fmt.Sprintf("This renderer does not load dependency packs; remove dependency %q or render the pack with nomad-pack.", b.Labels[0])))
		}
	}
	blockDiags = blockDiags.Extend(exactlyOne(app, "app", file.Body))
	blockDiags = blockDiags.Extend(exactlyOne(pack, "pack", file.Body))
	if blockDiags.HasErrors() {
		return Metadata{}, diagError(blockDiags)
	}
	attrs, diags := stringAttrs(app[0], appSchema)
	blockDiags = blockDiags.Extend(diags)
	m.App.URL = attrs["url"]
	attrs, diags = stringAttrs(pack[0], packSchema)
	blockDiags = blockDiags.Extend(diags)
	m.Pack = PackMetadata{Name: attrs["name"], Description: attrs["description"], Version: attrs["version"]}
	if blockDiags.HasErrors() {
		return Metadata{}, diagError(blockDiags)
	}
	if m.Pack.Name == "" {
		return Metadata{}, fmt.Errorf("%s: the pack block's name is empty", pack[0].DefRange)
	}
	return m, nil
}

// exactlyOne checks that a required block appears once.
func exactlyOne(blocks []*hcl.Block, typ string, body hcl.Body) hcl.Diagnostics {
	switch len(blocks) {
	case 1:
		return nil
	case 0:
		return hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  fmt.Sprintf("Missing %s block", typ),
			Detail:   fmt.Sprintf("metadata.hcl needs one %s block.", typ),
			Subject:  body.MissingItemRange().Ptr(),
		}}
	default:
		return hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  fmt.Sprintf("Duplicate %s block", typ),
			Detail:   fmt.Sprintf("metadata.hcl needs one %s block; another is at %s.", typ, blocks[0].DefRange),
			Subject:  blocks[1].DefRange.Ptr(),
		}}
	}
}

// stringAttrs evaluates the attributes of block, all strings, by name.
func stringAttrs(block *hcl.Block, schema *hcl.BodySchema) (map[string]string, hcl.Diagnostics) {
	content, diags := block.Body.Content(schema)
	out := make(map[string]string, len(content.Attributes))
	for name, attr := range content.Attributes {
		val, vDiags := attr.Expr.Value(nil)
		diags = diags.Extend(vDiags)
		if vDiags.HasErrors() {
			continue
		}
		if val.Type() != cty.String || val.IsNull() {
			diags = diags.Append(&hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Invalid value",
				Detail:   fmt.Sprintf("%s must be a string, not %s.", name, val.Type().FriendlyName()),
				Subject:  attr.Expr.Range().Ptr(),
			})
			continue
		}
		out[name] = val.AsString()
	}
	return out, diags
}

// asMap returns the metadata as the nested map the meta template function
// reads, with the keys nomad-pack provides; pack.path is the absolute path
// of the pack's folder dir.
func (m Metadata) asMap(dir string) map[string]any {
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	return map[string]any{
		"app": map[string]any{
			"url": m.App.URL,
		},
		"pack": map[string]any{
			"name":        m.Pack.Name,
			"description": m.Pack.Description,
			"version":     m.Pack.Version,
			"path":        dir,
		},
	}
}
