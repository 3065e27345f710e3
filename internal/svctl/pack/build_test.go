package pack

import (
	"strings"
	"testing"
)

// TestBuildSettingsReadTheRunsValues: build.hcl's placement, cluster and
// publish_source expressions read the run's values as var.NAME.
func TestBuildSettingsReadTheRunsValues(t *testing.T) {
	p := loadSmall(t, map[string]string{"build.hcl": `
build {
  package        = "./cmd/small"
  publish_source = var.enabled
}
placement {
  driver      = "raw_exec"
  datacenters = ["dc-${var.port}"]
}
cluster {
  name = "at-${var.port}"
  port = var.port + 1
}
`})
	vals, err := p.Values(map[string]string{"name": "x", "port": "9000", "enabled": "true"})
	if err != nil {
		t.Fatal(err)
	}
	pl, err := p.Build.Placement(vals)
	if err != nil || pl.Driver != "raw_exec" || strings.Join(pl.Datacenters, ",") != "dc-9000" || pl.Node != "" {
		t.Errorf("Placement = %+v, %v; want raw_exec in dc-9000, any node", pl, err)
	}
	cv, err := p.Build.ClusterValues(vals)
	if err != nil || cv["name"] != "at-9000" || cv["port"] != "9001" || len(cv) != 2 {
		t.Errorf("ClusterValues = %v, %v; want name at-9000, port 9001", cv, err)
	}
	if yes, err := p.Build.PublishSource(vals); err != nil || !yes {
		t.Errorf("PublishSource = %v, %v; want true, as var.enabled", yes, err)
	}
	if _, err := p.Values(map[string]string{"name": "x", "cluster_only": "1"}); err == nil {
		t.Error("a variable only build.hcl names was accepted by --var")
	}
}

// TestBuildNamesOnlyDeclaredVariables: a cluster value or a sidecar
// variable that variables.hcl does not declare is refused when the pack
// loads, naming it.
func TestBuildNamesOnlyDeclaredVariables(t *testing.T) {
	_, err := Load(writePack(t, smallPack(map[string]string{"build.hcl": `
build {
  package = "./cmd/small"
}
placement {
  driver = "raw_exec"
}
cluster {
  dsn = "x"
}
sidecar {
  variable = "sidecar"
}
`})))
	if err == nil || !strings.Contains(err.Error(), "cluster.dsn") || !strings.Contains(err.Error(), "sidecar.variable (sidecar)") {
		t.Errorf("Load: %v, want a refusal naming cluster.dsn and sidecar.variable", err)
	}
}

// TestPlacementNeedsADriver: svctl picks nodes by the driver.
func TestPlacementNeedsADriver(t *testing.T) {
	_, err := Load(writePack(t, smallPack(map[string]string{"build.hcl": "build {\n  package = \"./cmd/small\"\n}\n"})))
	if err == nil || !strings.Contains(err.Error(), "placement") {
		t.Errorf("Load of a build.hcl without placement: %v, want a refusal naming it", err)
	}
}
