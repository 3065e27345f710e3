package pack

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"
)

// noDefault is what a README variable table writes in the Default column of
// a variable that has no default.
const noDefault = "—"

// readmeRow is one row of a README variable table: a markdown table whose
// header's first cell is "Variable". Its cells are the variable's name in
// backticks, its type as variables.hcl writes it (list(string)), and its
// default: an HCL expression in backticks, or noDefault. Further cells
// describe it and are not checked.
type readmeRow struct {
	line           int // 1-based line in README.md
	name, typ, def string
}

// readmeVariableRows returns the rows of every variable table in readme.
func readmeVariableRows(readme string) []readmeRow {
	var rows []readmeRow
	inTable := false
	for i, line := range strings.Split(readme, "\n") {
		line = strings.TrimSpace(line)
		if !strings.HasPrefix(line, "|") {
			inTable = false
			continue
		}
		cells := tableCells(line)
		switch {
		case !inTable:
			inTable = len(cells) > 0 && cells[0] == "Variable"
		case strings.Trim(line, "|-: ") == "":
			// The line under the header.
		default:
			for len(cells) < 3 {
				cells = append(cells, "")
			}
			rows = append(rows, readmeRow{line: i + 1, name: cells[0], typ: cells[1], def: cells[2]})
		}
	}
	return rows
}

// tableCells splits a markdown table row into its trimmed cells; "\|" is a
// "|" inside a cell.
func tableCells(line string) []string {
	line = strings.TrimSuffix(strings.TrimPrefix(line, "|"), "|")
	var cells []string
	var cell strings.Builder
	for i := 0; i < len(line); i++ {
		switch {
		case line[i] == '\\' && i+1 < len(line) && line[i+1] == '|':
			cell.WriteByte('|')
			i++
		case line[i] == '|':
			cells = append(cells, strings.TrimSpace(cell.String()))
			cell.Reset()
		default:
			cell.WriteByte(line[i])
		}
	}
	return append(cells, strings.TrimSpace(cell.String()))
}

var (
	backticked = regexp.MustCompile("^`([^`]*)`$")
	rowName    = regexp.MustCompile("^`([A-Za-z_][A-Za-z0-9_-]*)`$")
)

// hclText is val as hclwrite writes it, the form defaults are compared in:
// `["dc1"]` and `[ "dc1" ]` both read as ["dc1"], `{}` as {}.
func hclText(val cty.Value) string {
	return string(hclwrite.TokensForValue(val).Bytes())
}

// readmeDefault reads a Default cell: ok is false for noDefault, else text
// is the cell's expression written as hclText writes its value.
func readmeDefault(cell string) (text string, ok bool, err error) {
	if cell == noDefault {
		return "", false, nil
	}
	m := backticked.FindStringSubmatch(cell)
	if m == nil {
		return "", false, fmt.Errorf("the default %q is neither %s nor an HCL expression in backticks", cell, noDefault)
	}
	expr, diags := hclsyntax.ParseExpression([]byte(m[1]), "README.md", hcl.Pos{Line: 1, Column: 1})
	if !diags.HasErrors() {
		var val cty.Value
		if val, diags = expr.Value(nil); !diags.HasErrors() {
			return hclText(val), true, nil
		}
	}
	return "", false, fmt.Errorf("the default %s is not an HCL value: %s", cell, diagSummary(diags))
}

// readmeTableProblems compares the variable tables of readme with vars and
// returns each disagreement, naming the variable: a variable with no row or
// more than one, a row that names no declared variable, a type or a default
// that differs from variables.hcl.
func readmeTableProblems(readme string, vars []*Variable) []string {
	byName := make(map[string]*Variable, len(vars))
	for _, v := range vars {
		byName[v.Name] = v
	}
	var problems []string
	rowOf := make(map[string]int)
	for _, r := range readmeVariableRows(readme) {
		at := fmt.Sprintf("README.md:%d", r.line)
		m := rowName.FindStringSubmatch(r.name)
		if m == nil {
			problems = append(problems, fmt.Sprintf("%s: the row's first cell %q names no variable (want a name in backticks)", at, r.name))
			continue
		}
		v, ok := byName[m[1]]
		if !ok {
			problems = append(problems, fmt.Sprintf("%s: variables.hcl declares no variable %s", at, m[1]))
			continue
		}
		if first, dup := rowOf[v.Name]; dup {
			problems = append(problems, fmt.Sprintf("%s: variable %s has a second row (the first is at line %d)", at, v.Name, first))
			continue
		}
		rowOf[v.Name] = r.line
		if r.typ != v.TypeName() {
			problems = append(problems, fmt.Sprintf("%s: variable %s has the type %q, variables.hcl says %s", at, v.Name, r.typ, v.TypeName()))
		}
		got, hasDefault, err := readmeDefault(r.def)
		want := noDefault
		if v.HasDefault() {
			want = "`" + hclText(v.Default) + "`"
		}
		switch {
		case err != nil:
			problems = append(problems, fmt.Sprintf("%s: variable %s: %v; variables.hcl says %s", at, v.Name, err, want))
		case hasDefault != v.HasDefault() || hasDefault && got != hclText(v.Default):
			problems = append(problems, fmt.Sprintf("%s: variable %s has the default %s, variables.hcl says %s", at, v.Name, r.def, want))
		}
	}
	for _, v := range vars {
		if _, ok := rowOf[v.Name]; !ok {
			problems = append(problems, fmt.Sprintf("README.md: variable %s has no row in a variable table", v.Name))
		}
	}
	return problems
}

// TestRealPackREADMEAgreesWithVariables checks that the README's variable
// tables list each variable of variables.hcl once, with its type and
// default, and nothing else; and that each variable has a description.
func TestRealPackREADMEAgreesWithVariables(t *testing.T) {
	p, err := Load(realPack)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range p.Variables {
		if v.Description == "" {
			t.Errorf("variable %s has no description in variables.hcl", v.Name)
		}
	}
	for _, problem := range readmeTableProblems(p.README, p.Variables) {
		t.Error(problem)
	}
}

// TestREADMETableProblemsNameTheVariable feeds readmeTableProblems tables
// that disagree with the small pack's variables in one way each.
func TestREADMETableProblemsNameTheVariable(t *testing.T) {
	p := loadSmall(t, nil)
	const header = "# small\n\nSome text with `name` in it.\n\n| Variable | Type | Default | What it is |\n|---|---|---|---|\n"
	rows := map[string]string{
		"name":    "| `name` | string | — | Required |",
		"port":    "| `port` | number | `8080` | A port |",
		"ratio":   "| `ratio` | number | `0.5` | A ratio |",
		"enabled": "| `enabled` | bool | `false` | On or off |",
		"dcs":     "| `dcs` | list(string) | `[ \"dc1\" ]` | Spaces do not matter |",
		"labels":  "| `labels` | map(string) | `{}` | Labels, a \\| in a cell |",
		"untyped": "| `untyped` | any | `\"x\"` | No type |",
	}
	order := []string{"name", "port", "ratio", "enabled", "dcs", "labels", "untyped"}
	table := func(replace map[string]string, extra ...string) string {
		var b strings.Builder
		b.WriteString(header)
		for _, name := range order {
			row, ok := replace[name]
			if !ok {
				row = rows[name]
			}
			if row != "" {
				b.WriteString(row + "\n")
			}
		}
		for _, row := range extra {
			b.WriteString(row + "\n")
		}
		return b.String() + "\nMore text.\n"
	}
	if problems := readmeTableProblems(table(nil), p.Variables); len(problems) != 0 {
		t.Fatalf("an agreeing table has problems: %q", problems)
	}
	// A second table continues the first; a table of something else is ignored.
	split := strings.Replace(table(nil), rows["enabled"]+"\n",
		rows["enabled"]+"\n\nThe rest:\n\n| Variable | Type | Default | What |\n|---|---|---|---|\n", 1)
	split += "\n| `sidecar` | What |\n|---|---|\n| `envoy` | Envoy |\n"
	if problems := readmeTableProblems(split, p.Variables); len(problems) != 0 {
		t.Fatalf("two agreeing tables have problems: %q", problems)
	}
	cases := []struct {
		name    string
		readme  string
		problem string
	}{
		{"missing row", table(map[string]string{"ratio": ""}), "variable ratio has no row"},
		{"row names no variable", table(nil, "| port | number | `8080` | no backticks |"), `"port" names no variable`},
		{"row names an undeclared variable", table(nil, "| `source` | string | — | Removed |"), "declares no variable source"},
		{"second row", table(nil, rows["port"]), "variable port has a second row"},
		{"other default", table(map[string]string{"port": "| `port` | number | `8081` | A port |"}), "variable port has the default `8081`, variables.hcl says `8080`"},
		{"default as a string", table(map[string]string{"port": "| `port` | number | `\"8080\"` | A port |"}), "variable port has the default `\"8080\"`"},
		{"default not in backticks", table(map[string]string{"ratio": "| `ratio` | number | 0.5 | A ratio |"}), "variable ratio: the default \"0.5\" is neither"},
		{"default not HCL", table(map[string]string{"dcs": "| `dcs` | list(string) | `[\"dc1\"` | Broken |"}), "variable dcs: the default `[\"dc1\"` is not an HCL value"},
		{"default for a required variable", table(map[string]string{"name": "| `name` | string | `\"\"` | Required |"}), "variable name has the default `\"\"`, variables.hcl says —"},
		{"no default for an optional variable", table(map[string]string{"labels": "| `labels` | map(string) | — | Labels |"}), "variable labels has the default —, variables.hcl says `{}`"},
		{"other type", table(map[string]string{"dcs": "| `dcs` | list | `[\"dc1\"]` | DCs |"}), `variable dcs has the type "list", variables.hcl says list(string)`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			problems := readmeTableProblems(c.readme, p.Variables)
			if len(problems) != 1 || !strings.Contains(problems[0], c.problem) {
				t.Errorf("problems %q; want one mentioning %q", problems, c.problem)
			}
		})
	}
}
