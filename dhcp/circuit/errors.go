package circuit

import (
	"errors"
	"strconv"
)

// Reasons carried by *DecodeError (compare with errors.Is).
var (
	ErrNoOption82  = errors.New("no relay agent information")
	ErrNoIdentity  = errors.New("neither circuit-id nor remote-id")
	ErrNotText     = errors.New("not printable text")
	ErrFormat      = errors.New("does not match the profile's format")
	ErrNoKey       = errors.New("key template renders no part")
	ErrBadTemplate = errors.New("invalid key template")
	ErrBadProfile  = errors.New("invalid profile")
)

// DecodeError reports why a circuit could not be decoded.
type DecodeError struct {
	Profile string // the profile selected
	Field   string // "circuit-id", "remote-id" or "" for the whole option
	Offset  int    // byte offset inside the field, -1 if not applicable
	Reason  error
	Detail  string
}

func (e *DecodeError) Error() string {
	s := "circuit: profile " + strconv.Quote(e.Profile)
	if e.Field != "" {
		s += ": " + e.Field
	}
	if e.Offset >= 0 {
		s += " offset " + strconv.Itoa(e.Offset)
	}
	s += ": " + e.Reason.Error()
	if e.Detail != "" {
		s += " (" + e.Detail + ")"
	}
	return s
}

// Unwrap returns the sentinel reason.
func (e *DecodeError) Unwrap() error { return e.Reason }

// TemplateError reports a malformed key template.
type TemplateError struct {
	Template string
	Offset   int // character offset
	Detail   string
}

func (e *TemplateError) Error() string {
	return "circuit: key template " + strconv.Quote(e.Template) + " offset " + strconv.Itoa(e.Offset) + ": " + e.Detail
}

// Unwrap returns ErrBadTemplate.
func (e *TemplateError) Unwrap() error { return ErrBadTemplate }
