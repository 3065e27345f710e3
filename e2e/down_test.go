package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"microwizard/internal/testenv"
)

// TestDownRemovesOnlyWhatUpCreated: `just down` removes what its own
// agent's allocations left (a network namespace, a CNI chain and the rule
// that jumps to it, found by allocation ID in its data dir) and leaves
// another Nomad's networking alone: a namespace named like another
// allocation, that allocation's CNI chain, the plugins' shared chain and a
// nomad bridge it did not create all survive. It also ignores the agent
// addresses of the caller's shell.
func TestDownRemovesOnlyWhatUpCreated(t *testing.T) {
	if os.Geteuid() != 0 {
		testenv.Missing(t, "e2e: network namespaces and iptables need root")
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

	// What an allocation of just up's own agent left behind.
	const ours = "0e2e0e2e-9999-4888-8777-666655554444"
	const ourChain = "CNI-e2e0ours0000000000"
	state := t.TempDir()
	if err := os.MkdirAll(filepath.Join(state, "nomad", "alloc", ours), 0o755); err != nil {
		t.Fatal(err)
	}
	run("ip", "netns", "add", ours)
	t.Cleanup(func() { _ = exec.Command("ip", "netns", "delete", ours).Run() })
	run("iptables", "-N", ourChain)
	run("iptables", "-A", ourChain, "-j", "ACCEPT")
	run("iptables", "-A", chain, "-m", "comment", "--comment", `name: "nomad" id: "`+ours+`"`, "-j", ourChain)
	t.Cleanup(func() {
		_ = exec.Command("iptables", "-F", ourChain).Run()
		_ = exec.Command("iptables", "-X", ourChain).Run()
	})

	down := exec.Command(filepath.Join(repoRoot(t), "scripts", "down"))
	down.Env = append(withoutAgentEnv(os.Environ()), "MW_STATE="+state, "NOMAD_ADDR=http://127.0.0.1:1", "CONSUL_HTTP_ADDR=127.0.0.1:1")
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
	if out, _ := exec.Command("ip", "netns", "list").Output(); strings.Contains(string(out), ours) {
		t.Errorf("just down left its own allocation's namespace %s", ours)
	}
	if exec.Command("iptables", "-S", ourChain).Run() == nil {
		t.Errorf("just down left its own allocation's chain %s", ourChain)
	}
	if out, _ := exec.Command("iptables", "-S", chain).Output(); strings.Contains(string(out), ours) || !strings.Contains(string(out), ns) {
		t.Errorf("just down did not remove exactly its own allocation's rule from %s:\n%s", chain, out)
	}
}
