package gobuild

import "strings"

// CompileError is returned by Build when `go build` ran and failed: a compile
// error, a missing package or module, a package that is not a main package.
type CompileError struct {
	Package string // the package as given to Build
	Dir     string // the directory go build ran in
	Output  string // everything go build printed, verbatim
	Err     error  // how the go command exited
}

// Error gives a one-line summary followed by the go command's output as it
// printed it, file:line positions included.
func (e *CompileError) Error() string {
	var b strings.Builder
	b.WriteString("go build ")
	b.WriteString(e.Package)
	b.WriteString(" failed")
	if e.Err != nil {
		b.WriteString(" (")
		b.WriteString(e.Err.Error())
		b.WriteString(")")
	}
	b.WriteString(":\n")
	b.WriteString(e.Output)
	return strings.TrimRight(b.String(), "\n")
}

// Unwrap returns how the go command exited.
func (e *CompileError) Unwrap() error { return e.Err }
