package tutorial

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestMakeSlowSwapsTheLinesOfTheRealFile edits a copy of the real users.go
// and checks that exactly the two lines changed places of the "//".
func TestMakeSlowSwapsTheLinesOfTheRealFile(t *testing.T) {
	src, err := os.ReadFile(filepath.Join("..", "..", UsersFile))
	if err != nil {
		t.Fatal(err)
	}
	slow, err := MakeSlow(string(src))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(slow, "\n"+InefficientLine+"\n") || strings.Contains(slow, "\n"+EfficientLine+"\n") {
		t.Fatalf("after the edit the inefficient line should be live and the efficient one commented out:\n%s", slow)
	}
	if len(slow) != len(src) {
		t.Fatalf("the edit changed %d bytes into %d; it only moves a \"//\"", len(src), len(slow))
	}
	if _, err := MakeSlow(slow); err == nil {
		t.Fatal("a second edit of the slow source succeeded; it must say the lines are not as described")
	}
}
