package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"microwizard/internal/testenv"
)

// TestDownRemovesOnlyWhatUpCreated: `just down` with nothing of its own up
// leaves another Nomad's networking alone: a network namespace named like an
// allocation ID, a CNI chain of another allocation, and a nomad bridge it did
// not create all survive.
func TestDownRemovesOnlyWhatUpCreated(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("e2e: network namespaces and iptables need root")
	}
	for _, bin := range []string{"ip", "iptables"} {
		if _, err := exec.LookPath(bin); err != nil {
			testenv.Missing(t, "e2e: no "+bin+": run scripts/setup")
		}
	}
	run := func(name string, args ...string) {
		t.Helper()
		if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
			t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
		}
	}
	const ns = "0e2e0e2e-1111-4222-8333-444455556666" // another Nomad's allocation
	const chain = "CNI-e2e0foreign00000000"
	run("ip", "netns", "add", ns)
	t.Cleanup(func() { _ = exec.Command("ip", "netns", "delete", ns).Run() })
	run("iptables", "-N", chain)
	run("iptables", "-A", chain, "-m", "comment", "--comment", `name: "nomad" id: "`+ns+`"`, "-j", "ACCEPT")
	t.Cleanup(func() {
		_ = exec.Command("iptables", "-F", chain).Run()
		_ = exec.Command("iptables", "-X", chain).Run()
	})
	if exec.Command("ip", "link", "show", "nomad").Run() != nil {
		run("ip", "link", "add", "nomad", "type", "bridge")
		t.Cleanup(func() { _ = exec.Command("ip", "link", "delete", "nomad").Run() })
	}

	down := exec.Command(filepath.Join(repoRoot(t), "scripts", "down"))
	down.Env = append(withoutAgentEnv(os.Environ()), "MW_STATE="+t.TempDir(), "NOMAD_ADDR=http://127.0.0.1:1", "CONSUL_HTTP_ADDR=127.0.0.1:1")
	if out, err := down.CombinedOutput(); err != nil {
		t.Fatalf("scripts/down: %v\n%s", err, out)
	}
	if out, _ := exec.Command("ip", "netns", "list").Output(); !strings.Contains(string(out), ns) {
		t.Errorf("just down deleted the network namespace %s, which it did not create", ns)
	}
	if exec.Command("iptables", "-S", chain).Run() != nil {
		t.Errorf("just down deleted the chain %s, which it did not create", chain)
	}
	if exec.Command("ip", "link", "show", "nomad").Run() != nil {
		t.Errorf("just down deleted a nomad bridge it did not create")
	}
}
