package gobuild

import (
	"fmt"
	"path"
	"strings"
	"unicode"
)

// CheckPackage reports whether pkg is a package path Build accepts: "." or a
// relative path starting with "./" that stays inside the build directory,
// names a single package (no "..." pattern) and holds no spaces, control
// characters or backslashes. Module import paths ("example.com/x/cmd/y"),
// absolute paths and anything starting with "-" are refused.
func CheckPackage(pkg string) error {
	const want = `want "." or a relative path like "./cmd/server" inside the source tree`
	switch {
	case pkg == "":
		return fmt.Errorf("package path is empty; %s", want)
	case pkg != "." && !strings.HasPrefix(pkg, "./"):
		return fmt.Errorf("package path %q is not relative; %s", pkg, want)
	case strings.Contains(pkg, "..."):
		return fmt.Errorf("package path %q is a pattern; %s naming one main package", pkg, want)
	}
	for _, r := range pkg {
		if unicode.IsSpace(r) || unicode.IsControl(r) || r == '\\' || r == ':' {
			return fmt.Errorf("package path %q contains %q; %s", pkg, r, want)
		}
	}
	if clean := path.Clean(pkg); clean == ".." || strings.HasPrefix(clean, "../") {
		return fmt.Errorf("package path %q leaves the source tree; %s", pkg, want)
	}
	return nil
}
