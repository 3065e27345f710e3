package pack

import (
	"maps"
	"strings"
	"testing"
)

// packMessage returns what nomad-pack v0.1.0 would show of err, a template
// error: only the text after its last ": ", which nomad-pack then reads as
// a printf format. Tests compare it with the whole message the pack's
// template fails with, so that message must hold no ": "; and it must hold
// no "%", which packMessage checks.
func packMessage(t *testing.T, err error) string {
	t.Helper()
	if err == nil {
		t.Fatal("rendered; want an error")
	}
	text := err.Error()
	msg := text[strings.LastIndex(text, ": ")+2:]
	if strings.Contains(msg, "%") {
		t.Errorf("message %q holds \"%%\", which nomad-pack would read as a printf verb", msg)
	}
	return msg
}

// realValues returns the real pack and the values of its raw_exec/envoy
// golden case with overrides on top.
func realValues(t *testing.T, overrides map[string]string) (*Pack, Values) {
	t.Helper()
	p, err := Load(realPack)
	if err != nil {
		t.Fatal(err)
	}
	c := renderCase{name: "raw_exec-envoy", driver: "raw_exec", sidecar: "envoy"}
	o := c.overrides()
	maps.Copy(o, overrides)
	vals, err := valuesWithMeta(p, o, c.meta())
	if err != nil {
		t.Fatal(err)
	}
	return p, vals
}

// TestRealPackNamesVariablesLeftUnset renders the real pack the way
// nomad-pack does when a variable without a default is not set: with the
// value nil. (Values refuses that earlier; this checks the templates.)
func TestRealPackNamesVariablesLeftUnset(t *testing.T) {
	p, _ := realValues(t, nil)
	var required []string
	for _, v := range p.Variables {
		if !v.HasDefault() {
			required = append(required, v.Name)
		}
	}
	if len(required) == 0 {
		t.Fatal("the real pack has no required variable")
	}
	for _, name := range required {
		t.Run(name, func(t *testing.T) {
			_, vals := realValues(t, nil)
			vals[name] = nil
			_, err := p.Render(vals)
			want := "variable " + name + " has no value; set it with --var " + name + "=VALUE"
			if msg := packMessage(t, err); msg != want {
				t.Errorf("message %q, want %q", msg, want)
			}
		})
	}
	t.Run("several", func(t *testing.T) {
		_, vals := realValues(t, nil)
		vals["job_name"], vals["binary"], vals["region"] = nil, nil, nil
		_, err := p.Render(vals)
		want := "variables binary, job_name, region have no value; set them with --var binary=VALUE --var job_name=VALUE --var region=VALUE"
		if msg := packMessage(t, err); msg != want {
			t.Errorf("message %q, want %q", msg, want)
		}
	})
}

// TestRealPackNamesTheVariableOfABadValue checks the real pack's messages for
// values it refuses: each names the variable, and quotes the value with
// "%" and ": " escaped so that nomad-pack shows it whole.
func TestRealPackNamesTheVariableOfABadValue(t *testing.T) {
	cases := []struct {
		name      string
		overrides map[string]string
		meta      map[string]any
		want      string
	}{
		{"driver", map[string]string{"driver": "bogus"}, nil,
			`variable driver is "bogus", which is not one of raw_exec, exec, docker`},
		{"sidecar", map[string]string{"sidecar": "bo: g%us"}, nil,
			`variable sidecar is "bo:\x20g\x25us", which is not one of envoy, envoy_raw_exec, consul_proxy`},
		{"log_level", map[string]string{"log_level": "loud"}, nil,
			`variable log_level is "loud", which is not one of debug, info, warn, error`},
		{"interpolation", map[string]string{"job_name": "a${x}%{y}: z"}, nil,
			`variable job_name is "a${x}\x25{y}:\x20z", which holds "${" or a percent sign before "{", text Nomad would interpret when it starts the task`},
		{"interpolation in a list", map[string]string{"datacenters": `["dc1", "%%{x}"]`}, nil,
			`variable datacenters is "\x25{x}", which holds "${" or a percent sign before "{", text Nomad would interpret when it starts the task`},
		{"interpolation in meta", nil, map[string]any{"commit": "${x}"},
			`variable meta.commit is "${x}", which holds "${" or a percent sign before "{", text Nomad would interpret when it starts the task`},
		{"null in meta", nil, map[string]any{"commit": nil},
			`variable meta.commit holds null, not a string`},
		{"meta key", nil, map[string]any{"a: b%": "x"},
			`variable meta has the key "a:\x20b\x25", which is not an HCL identifier`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, vals := realValues(t, c.overrides)
			if c.meta != nil {
				vals["meta"] = c.meta
			}
			_, err := p.Render(vals)
			if msg := packMessage(t, err); msg != c.want {
				t.Errorf("message %q, want %q", msg, c.want)
			}
		})
	}
}

// TestRealPackChecksNumberRanges: ports, CPU and memory outside what Nomad
// takes for them are refused, naming the variable and the range.
func TestRealPackChecksNumberRanges(t *testing.T) {
	p, err := Load(realPack)
	if err != nil {
		t.Fatal(err)
	}
	base := renderCase{driver: "raw_exec", sidecar: "envoy_raw_exec"}
	for _, c := range []struct{ name, value, want string }{
		{"app_port", "-1", "variable app_port is -1, which is not from 1 to 65535"},
		{"app_port", "0", "variable app_port is 0, which is not from 1 to 65535"},
		{"app_port", "99999", "variable app_port is 99999, which is not from 1 to 65535"},
		{"app_port", "5000.5", "variable app_port is 5000.5, which is not a whole number"},
		{"mysql_upstream_port", "70000", "variable mysql_upstream_port is 70000, which is not from 1 to 65535"},
		{"cpu", "0", "variable cpu is 0, which is not from 1 to 1000000"},
		{"memory", "-64", "variable memory is -64, which is not from 1 to 10000000"},
	} {
		o := base.overrides()
		o[c.name] = c.value
		vals, err := valuesWithMeta(p, o, base.meta())
		if err == nil {
			_, err = p.Render(vals)
		}
		if err == nil || !strings.HasSuffix(err.Error(), c.want) {
			t.Errorf("%s=%s: %v, want %q", c.name, c.value, err, c.want)
		}
	}
	o := base.overrides()
	o["app_port"] = "65535"
	vals, err := valuesWithMeta(p, o, base.meta())
	if err == nil {
		_, err = p.Render(vals)
	}
	if err != nil {
		t.Errorf("app_port=65535 refused: %v", err)
	}
}
