package parse

import (
	"errors"
	"fmt"
	"testing"
)

func TestPanicErrorNamesParserAndLine(t *testing.T) {
	err := fmt.Errorf("read: %w", &PanicError{Parser: "registry export parser", Line: 12, Value: "index out of range"})
	var pe *PanicError
	if !errors.As(err, &pe) || pe.Line != 12 {
		t.Fatalf("errors.As: %v", err)
	}
	if want := "read: internal error in registry export parser near line 12: index out of range"; err.Error() != want {
		t.Errorf("%q, want %q", err, want)
	}
}
