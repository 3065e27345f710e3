package pack

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"text/template"
)

// The files a pack is made of, relative to its folder.
const (
	metadataFile   = "metadata.hcl"
	variablesFile  = "variables.hcl"
	templatesDir   = "templates"
	outputsFile    = "outputs.tpl"
	readmeFile     = "README.md"
	jobSuffix      = ".nomad.tpl"
	helperPrefix   = "_"
	templateSuffix = ".tpl"
)

// nomad-pack's template delimiters.
const (
	leftDelim  = "[["
	rightDelim = "]]"
)

// Pack is a pack loaded from its folder, ready to render.
type Pack struct {
	// Dir is the folder the pack was loaded from.
	Dir string
	// Metadata is the content of metadata.hcl.
	Metadata Metadata
	// Variables are the variables of variables.hcl, in declaration order.
	Variables []*Variable
	// README is the content of README.md, "" when there is none.
	README string
	// Build is build.hcl, svctl's addition: how to build what the job
	// runs; nil when the pack has none.
	Build *Build

	// jobTemplates are the names of the job templates, such as
	// "templates/lobsters-popularity.nomad.tpl", sorted.
	jobTemplates []string
	hasOutputs   bool
	// templates holds every template of the pack, each under its file's
	// path relative to Dir, with the helpers' defines.
	templates *template.Template
}

// Load reads the pack in dir: metadata.hcl, variables.hcl, the templates
// (templates/*.nomad.tpl, one job each, and templates/_*.tpl helpers), and
// outputs.tpl, README.md and build.hcl when present. HCL errors carry file:line, and
// template syntax errors the template file and line. A pack without a job
// template is an error.
func Load(dir string) (*Pack, error) {
	p, err := load(dir)
	if err != nil {
		return nil, fmt.Errorf("load pack %s: %w", dir, err)
	}
	return p, nil
}

func load(dir string) (*Pack, error) {
	info, err := os.Stat(dir)
	if err != nil {
		return nil, err
	}
	if !info.IsDir() {
		return nil, errors.New("not a directory")
	}
	p := &Pack{Dir: dir}
	if p.Metadata, err = loadMetadata(filepath.Join(dir, metadataFile)); err != nil {
		return nil, err
	}
	if p.Variables, err = loadVariables(filepath.Join(dir, variablesFile)); err != nil {
		return nil, err
	}
	if p.Build, err = loadBuild(filepath.Join(dir, buildFile), p.Variables); err != nil {
		return nil, err
	}
	readme, err := os.ReadFile(filepath.Join(dir, readmeFile))
	switch {
	case err == nil:
		p.README = string(readme)
	case !errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("read %s: %w", readmeFile, err)
	}
	if err := p.loadTemplates(); err != nil {
		return nil, err
	}
	return p, nil
}

// loadTemplates parses the helper templates, the job templates and
// outputs.tpl into one template set, and refuses a template that calls a
// function packs may not call (env, expandenv, getHostByName: see
// refused). Other .tpl files under templates/ (nomad-pack's auxiliary
// files) are left alone.
func (p *Pack) loadTemplates() error {
	entries, err := os.ReadDir(filepath.Join(p.Dir, templatesDir))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("read %s: %w", templatesDir, err)
	}
	var helpers []string
	for _, e := range entries {
		name := e.Name()
		switch {
		case e.IsDir():
		case strings.HasPrefix(name, helperPrefix) && strings.HasSuffix(name, templateSuffix):
			helpers = append(helpers, path.Join(templatesDir, name))
		case strings.HasSuffix(name, jobSuffix):
			p.jobTemplates = append(p.jobTemplates, path.Join(templatesDir, name))
		}
	}
	if len(p.jobTemplates) == 0 {
		return fmt.Errorf("no job template: a pack needs at least one file %s/<job>%s (found none in %s)",
			templatesDir, jobSuffix, filepath.Join(p.Dir, templatesDir))
	}
	slices.Sort(helpers)
	slices.Sort(p.jobTemplates)

	names := slices.Concat(helpers, p.jobTemplates)
	switch _, err := os.Stat(filepath.Join(p.Dir, outputsFile)); {
	case err == nil:
		p.hasOutputs = true
		names = append(names, outputsFile)
	case !errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("read %s: %w", outputsFile, err)
	}
	p.templates = template.New(p.Metadata.Pack.Name).
		Delims(leftDelim, rightDelim).
		Funcs(funcMap()).
		Option("missingkey=error")
	for _, name := range names {
		src, err := os.ReadFile(filepath.Join(p.Dir, filepath.FromSlash(name)))
		if err != nil {
			return fmt.Errorf("read template: %w", err)
		}
		if _, err := p.templates.New(name).Parse(string(src)); err != nil {
			return err
		}
	}
	return refuseReads(p.templates)
}

// variableNames returns the names of the pack's variables, sorted.
func (p *Pack) variableNames() []string {
	names := make([]string, len(p.Variables))
	for i, v := range p.Variables {
		names[i] = v.Name
	}
	slices.Sort(names)
	return names
}

// Declares reports whether the pack declares the variable name.
func (p *Pack) Declares(name string) bool {
	return slices.ContainsFunc(p.Variables, func(v *Variable) bool { return v.Name == name })
}
