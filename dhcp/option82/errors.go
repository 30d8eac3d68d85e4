package option82

import (
	"errors"
	"strconv"
)

// Reasons carried by *ParseError (compare with errors.Is).
var (
	ErrEmpty         = errors.New("empty option (at least one sub-option is required)")
	ErrTruncated     = errors.New("truncated header")
	ErrLengthPastEnd = errors.New("length past the end")
	ErrReservedCode  = errors.New("reserved sub-option code")
	ErrNotOption82   = errors.New("option code is not 82")
	ErrHex           = errors.New("invalid hex")
	ErrTooLong       = errors.New("too long to encode")
)

// ParseError reports malformed option 82 input. Offset counts bytes from the
// start of the input given to the parser (characters for hex text).
type ParseError struct {
	Offset int
	// Code is the sub-option code involved, or -1 when there is none.
	Code int
	// Reason is one of the Err* sentinels above.
	Reason error
	// Detail adds numbers, e.g. "length 7, 4 bytes left"; it may be empty.
	Detail string
}

func (e *ParseError) Error() string {
	s := "option 82: offset " + strconv.Itoa(e.Offset) + ": "
	if e.Code >= 0 {
		s += "sub-option " + strconv.Itoa(e.Code) + " (" + Code(e.Code).String() + "): "
	}
	s += e.Reason.Error()
	if e.Detail != "" {
		s += " (" + e.Detail + ")"
	}
	return s
}

// Unwrap returns the sentinel reason.
func (e *ParseError) Unwrap() error { return e.Reason }

func perr(off, code int, reason error, detail string) *ParseError {
	return &ParseError{Offset: off, Code: code, Reason: reason, Detail: detail}
}
