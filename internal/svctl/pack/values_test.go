package pack

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

func TestValuesUseDefaultsAndConvertOverrides(t *testing.T) {
	p := loadSmall(t, nil)
	cases := []struct {
		name      string
		overrides map[string]string
		want      Values
	}{{
		name:      "defaults",
		overrides: map[string]string{"name": "web"},
		want: Values{
			"name": "web", "port": 8080, "ratio": 0.5, "enabled": false,
			"dcs": []any{"dc1"}, "labels": map[string]any{}, "untyped": "x",
		},
	}, {
		name: "overrides",
		overrides: map[string]string{
			"name":    `["not", "a", "list"] ${x}`,
			"port":    "5000",
			"ratio":   "1.25",
			"enabled": "true",
			"dcs":     `["dc1", "dc2"]`,
			"labels":  `{ team = "lobsters", tier = "web" }`,
			"untyped": "42",
		},
		want: Values{
			"name": `["not", "a", "list"] ${x}`, "port": 5000, "ratio": 1.25, "enabled": true,
			"dcs": []any{"dc1", "dc2"}, "labels": map[string]any{"team": "lobsters", "tier": "web"},
			"untyped": "42",
		},
	}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := p.Values(c.overrides)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("Values(%q)\n got %#v\nwant %#v", c.overrides, got, c.want)
			}
		})
	}
}

func TestValuesRefuseUnknownVariables(t *testing.T) {
	_, err := loadSmall(t, nil).Values(map[string]string{"name": "web", "prot": "80"})
	wantErr(t, err, `unknown variable "prot"`, "dcs, enabled, labels, name, port, ratio, untyped")
}

func TestValuesRefuseIllTypedValues(t *testing.T) {
	p := loadSmall(t, nil)
	cases := []struct{ variable, value, typ string }{
		{"port", "eighty", "number"},
		{"enabled", "yes", "bool"},
		{"dcs", "dc1", "list(string)"},
		{"dcs", `["dc1"`, "list(string)"},
		{"labels", `["a"]`, "map(string)"},
		{"port", "1e400", "number"},
	}
	for _, c := range cases {
		t.Run(c.variable+"="+c.value, func(t *testing.T) {
			_, err := p.Values(map[string]string{"name": "web", c.variable: c.value})
			wantErr(t, err, `"`+c.variable+`"`, c.typ, fmt.Sprintf("%q", c.value))
		})
	}
}

func TestValuesRefuseTextHCLWouldChange(t *testing.T) {
	p := loadSmall(t, nil)
	for _, value := range []string{"caf\u0065\u0301", "bad \xff byte"} {
		_, err := p.Values(map[string]string{"name": value})
		wantErr(t, err, `"name"`)
	}
	if _, err := p.Values(map[string]string{"name": "caf\u00e9"}); err != nil {
		t.Errorf("composed text refused: %v", err)
	}
}

func TestValuesNameEveryMissingRequiredVariable(t *testing.T) {
	p := loadSmall(t, map[string]string{"variables.hcl": `variable "a" {
  type = string
}

variable "b" {
  type = number
}

variable "c" {
  default = 1
}
`})
	_, err := p.Values(nil)
	wantErr(t, err, `"a"`, `"b"`, "--var a=", "--var b=")
	if err != nil && strings.Contains(err.Error(), `"c"`) {
		t.Errorf("error %q mentions c, which has a default", err)
	}
}
