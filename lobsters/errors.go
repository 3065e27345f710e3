package lobsters

import (
	"errors"
	"fmt"
	"net/http"
)

// ErrorCode is the kind of an Error; the HTTP status follows from it in one
// place (ErrorCode.status).
type ErrorCode string

// The error codes pages use.
const (
	ENotFound ErrorCode = "not_found"
	EInternal ErrorCode = "internal"
)

// Error is a failure with a message meant for the person reading the page.
// Anything that is not an *Error is shown as an internal error and its details
// go to the log.
type Error struct {
	Code    ErrorCode
	Message string
}

func (e *Error) Error() string { return fmt.Sprintf("%s: %s", e.Code, e.Message) }

// notFound returns an ENotFound error with a message for the reader.
func notFound(format string, args ...any) error {
	return &Error{Code: ENotFound, Message: fmt.Sprintf(format, args...)}
}

// errorCode returns the code of err: that of an *Error in its chain, else
// EInternal.
func errorCode(err error) ErrorCode {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EInternal
}

// errorMessage returns what the reader is told about err.
func errorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) && e.Code != EInternal {
		return e.Message
	}
	return "Something went wrong on our side. It has been logged; please try again in a moment."
}

// status is the HTTP status a page with this error answers with.
func (c ErrorCode) status() int {
	switch c {
	case ENotFound:
		return http.StatusNotFound
	default:
		return http.StatusInternalServerError
	}
}
