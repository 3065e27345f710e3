package pack

import (
	"strings"
	"testing"
)

// tokenValue is what the tests put in the environment a pack tries to read.
const tokenValue = "tok-3f9a1c0e7b2d-not-for-jobs"

// TestLoadRefusesAPackThatReadsTheEnvironment loads testdata/packs/reads-env,
// whose job template calls env and whose helper calls expandenv: Load
// refuses it, naming each function and where it is called, and the value
// of the variable they read appears nowhere.
func TestLoadRefusesAPackThatReadsTheEnvironment(t *testing.T) {
	t.Setenv("SVCTL_PACK_TEST_TOKEN", tokenValue)
	p, err := Load("testdata/packs/reads-env")
	if p != nil {
		t.Errorf("Load returned a pack that reads the environment: %+v", p)
	}
	wantErr(t, err,
		"load pack testdata/packs/reads-env: ",
		"template templates/reads-env.nomad.tpl:3:",
		"uses env, which packs may not call: a job must not carry the environment of the machine that renders it",
		"template templates/_helpers.tpl:2:",
		"uses expandenv, which packs may not call",
	)
	if err != nil && strings.Contains(err.Error(), tokenValue) {
		t.Errorf("the refusal shows the environment's value: %v", err)
	}
	t.Log(err)
}

// TestLoadRefusesEveryWayToCallThem: a function that reads the machine is
// refused however it is called (an argument, a pipeline, in a branch, a
// range, a with, a helper that is never used); names that are no call of
// it (a variable, a field, a string, a template's name) are not.
func TestLoadRefusesEveryWayToCallThem(t *testing.T) {
	t.Setenv("SVCTL_PACK_TEST_TOKEN", tokenValue)
	for _, c := range []struct{ name, tpl, fn string }{
		{"argument", `x = [[ quote (env "SVCTL_PACK_TEST_TOKEN") ]]`, "env"},
		{"pipeline", `x = [[ "SVCTL_PACK_TEST_TOKEN" | env | quote ]]`, "env"},
		{"if", `[[ if env "SVCTL_PACK_TEST_TOKEN" ]]x[[ end ]]`, "env"},
		{"else", `[[ if false ]]x[[ else ]][[ expandenv "${SVCTL_PACK_TEST_TOKEN}" ]][[ end ]]`, "expandenv"},
		{"range", `[[ range list 1 ]][[ env "HOME" ]][[ end ]]`, "env"},
		{"with", `[[ with $x := "a" ]][[ $x ]][[ getHostByName "localhost" ]][[ end ]]`, "getHostByName"},
		{"variable", `[[ $v := env "SVCTL_PACK_TEST_TOKEN" ]][[ $v ]]`, "env"},
		{"template argument", `[[ template "x" (env "HOME") ]][[ define "x" ]][[ . ]][[ end ]]`, "env"},
		{"unused helper", `[[ define "never" ]][[ env "HOME" ]][[ end ]]ok`, "env"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Load(writePack(t, smallPack(map[string]string{"templates/small.nomad.tpl": c.tpl})))
			wantErr(t, err, "templates/small.nomad.tpl:1:", "uses "+c.fn+", which packs may not call")
			if err != nil && strings.Contains(err.Error(), tokenValue) {
				t.Errorf("the refusal shows the environment's value: %v", err)
			}
		})
	}

	p := loadSmall(t, map[string]string{"templates/small.nomad.tpl": `[[ $env := "e" ]][[ $env ]] [[ "env" ]] [[ template "env" ]][[ define "env" ]]expandenv[[ end ]]`})
	vals, err := p.Values(map[string]string{"name": "x"})
	if err != nil {
		t.Fatal(err)
	}
	out, err := p.Render(vals)
	if err != nil || out["small.nomad"] != "e env expandenv" {
		t.Errorf("names that call nothing: %q, %v; want \"e env expandenv\"", out["small.nomad"], err)
	}
}

// TestFuncMapHoldsNoFunctionThatReadsTheMachine: the function map the
// templates get has nothing in place of the refused functions but a
// function that fails, so that even a template Load did not check could
// not read the environment.
func TestFuncMapHoldsNoFunctionThatReadsTheMachine(t *testing.T) {
	t.Setenv("SVCTL_PACK_TEST_TOKEN", tokenValue)
	f := funcMap()
	for name := range refused {
		fn, ok := f[name].(func(...any) (string, error))
		if !ok {
			t.Errorf("funcMap()[%q] is %T, not the refusing function", name, f[name])
			continue
		}
		got, err := fn("SVCTL_PACK_TEST_TOKEN")
		if got != "" || err == nil || !strings.Contains(err.Error(), name+", which packs may not call") {
			t.Errorf("%s(...) = %q, %v; want a refusal", name, got, err)
		}
	}
}
