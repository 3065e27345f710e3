package pack

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// realPack is the folder of the pack this repository deploys.
const realPack = "../../../packs/lobsters-popularity"

// writePack writes files (path relative to the pack folder → content) into
// a new folder and returns it.
func writePack(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		path := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// smallPack returns the files of a small valid pack, to which a test adds
// or replaces files.
func smallPack(extra map[string]string) map[string]string {
	files := map[string]string{
		"metadata.hcl": `app {
  url = "https://example.com/app"
}

pack {
  name        = "small"
  description = "A small pack."
  version     = "1.2.3"
}
`,
		"variables.hcl": `variable "name" {
  type        = string
  description = "Required: no default."
}

variable "port" {
  type    = number
  default = 8080
}

variable "ratio" {
  type    = number
  default = 0.5
}

variable "enabled" {
  type    = bool
  default = false
}

variable "dcs" {
  type    = list(string)
  default = ["dc1"]
}

variable "labels" {
  type    = map(string)
  default = {}
}

variable "untyped" {
  default = "x"
}
`,
		"templates/small.nomad.tpl": `job "[[ var "name" . ]]" {
  port = [[ var "port" . ]]
}
`,
	}
	for k, v := range extra {
		files[k] = v
	}
	return files
}

// loadSmall loads smallPack(extra), failing the test on error.
func loadSmall(t *testing.T, extra map[string]string) *Pack {
	t.Helper()
	p, err := Load(writePack(t, smallPack(extra)))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// wantErr fails unless err is non-nil and its message holds every part.
func wantErr(t *testing.T, err error, parts ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error; want one mentioning %q", parts)
	}
	for _, part := range parts {
		if !strings.Contains(err.Error(), part) {
			t.Errorf("error %q does not mention %q", err, part)
		}
	}
}
