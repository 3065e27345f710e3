package pack

import (
	"errors"

	"github.com/hashicorp/hcl/v2"
)

// diagError turns HCL error diagnostics into one error that lists every one
// of them, each with the file:line,column it points at. It returns nil when
// diags holds no errors.
func diagError(diags hcl.Diagnostics) error {
	var errs []error
	for _, d := range diags {
		if d.Severity != hcl.DiagError {
			continue
		}
		msg := d.Summary
		if d.Detail != "" {
			msg += "; " + d.Detail
		}
		if d.Subject != nil {
			msg = d.Subject.String() + ": " + msg
		}
		errs = append(errs, errors.New(msg))
	}
	return errors.Join(errs...)
}
