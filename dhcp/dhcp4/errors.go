package dhcp4

import (
	"errors"
	"strconv"
)

// Reasons carried by *DecodeError (compare with errors.Is).
var (
	ErrShort           = errors.New("shorter than a BOOTP header with magic cookie")
	ErrMagicCookie     = errors.New("no DHCP magic cookie")
	ErrHLen            = errors.New("hardware address length over 16")
	ErrOptionTruncated = errors.New("option runs past the end of its area")
	ErrOptionLength    = errors.New("invalid option length or value")
	ErrOption82        = errors.New("malformed relay agent information")
)

// DecodeError reports a malformed packet.
type DecodeError struct {
	Offset int // byte offset in the packet
	Option int // DHCP option code, -1 for the fixed header
	Reason error
	Detail string
	// Err is the underlying error (an *option82.ParseError for ErrOption82).
	Err error
}

func (e *DecodeError) Error() string {
	s := "dhcp4: offset " + strconv.Itoa(e.Offset) + ": "
	if e.Option >= 0 {
		s += "option " + strconv.Itoa(e.Option) + ": "
	}
	s += e.Reason.Error()
	if e.Detail != "" {
		s += " (" + e.Detail + ")"
	}
	return s
}

// Unwrap returns the reason and, when set, the underlying error.
func (e *DecodeError) Unwrap() []error {
	if e.Err != nil {
		return []error{e.Reason, e.Err}
	}
	return []error{e.Reason}
}

// ReasonLabel returns a short stable label of err's reason for metrics
// ("short", "cookie", "hlen", "truncated", "length", "option82"), or
// "other".
func ReasonLabel(err error) string {
	switch {
	case errors.Is(err, ErrShort):
		return "short"
	case errors.Is(err, ErrMagicCookie):
		return "cookie"
	case errors.Is(err, ErrHLen):
		return "hlen"
	case errors.Is(err, ErrOptionTruncated):
		return "truncated"
	case errors.Is(err, ErrOptionLength):
		return "length"
	case errors.Is(err, ErrOption82):
		return "option82"
	}
	return "other"
}

func derr(off, opt int, reason error, detail string, err error) *DecodeError {
	return &DecodeError{Offset: off, Option: opt, Reason: reason, Detail: detail, Err: err}
}
