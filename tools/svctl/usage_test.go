package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestREADMECommandSummaryMatchesTheCommands: the README's svctl section
// opens with one usage line per command, exactly as the commands describe
// themselves (flags included), in svctl's order.
func TestREADMECommandSummaryMatchesTheCommands(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(b), "\n## svctl\n")
	if !ok {
		t.Fatal("README.md has no \"## svctl\" section")
	}
	_, block, ok := strings.Cut(section, "```\n")
	if !ok {
		t.Fatal("README's svctl section has no code block")
	}
	block, _, _ = strings.Cut(block, "```")
	var want []string
	for _, c := range commands {
		want = append(want, c.usageLine())
	}
	got := strings.Split(strings.TrimSpace(block), "\n")
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("README's command summary:\n%s\nthe commands say:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestEveryCommandHasHelp: "svctl COMMAND -h" prints the usage line, a help
// text and the flags, and exits 0.
func TestEveryCommandHasHelp(t *testing.T) {
	for _, c := range commands {
		code, out := svctl(t, c.name, "-h")
		if code != 0 || !strings.Contains(out, c.usageLine()) || !strings.Contains(out, strings.TrimSpace(c.help)) {
			t.Errorf("svctl %s -h: exit %d:\n%s", c.name, code, out)
		}
	}
	code, out := svctl(t, "-h")
	for _, c := range commands {
		if code != 0 || !strings.Contains(out, c.synopsis) {
			t.Errorf("svctl -h lacks %s's synopsis %q:\n%s", c.name, c.synopsis, out)
		}
	}
}
