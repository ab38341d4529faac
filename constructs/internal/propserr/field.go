package propserr

import (
	"errors"
	"strings"
)

// FieldError is a problem of one field of a construct's props. Field is
// relative to the props ("MinTasks", "Gunicorn.Workers", "Task.Cpu,
// MemoryMiB" for a rule on two fields), so a caller that fills the props
// from its own settings can name the setting the user must edit.
type FieldError struct {
	// Props names the props type, such as "djangoweb.Props".
	Props string
	// Field is the field's path within Props.
	Field string
	// Err says what is wrong with the field's value.
	Err error
}

// Error returns "Props.Field: Err", such as "djangoweb.Props.MinTasks: 0 is
// less than 1".
func (e *FieldError) Error() string { return e.Props + "." + e.Field + ": " + e.Err.Error() }

// Unwrap returns the cause.
func (e *FieldError) Unwrap() error { return e.Err }

// newField splits a qualified field name, "djangoweb.Props.Task.Cpu", at
// its props type; a name without ".Props." keeps it all as Props.
func newField(qualified string, err error) *FieldError {
	if i := strings.Index(qualified, ".Props."); i >= 0 {
		return &FieldError{Props: qualified[:i+len(".Props")], Field: qualified[i+len(".Props."):], Err: err}
	}
	return &FieldError{Props: qualified, Err: err}
}

// Fields returns every FieldError in err's tree (errors.Join, fmt.Errorf
// with %w), in order. Problems that name no single field are left out.
func Fields(err error) []*FieldError {
	var out []*FieldError
	var walk func(error)
	walk = func(err error) {
		var field *FieldError
		switch u := err.(type) {
		case nil:
		case *FieldError:
			out = append(out, u)
		case interface{ Unwrap() []error }:
			for _, e := range u.Unwrap() {
				walk(e)
			}
		default:
			if errors.As(err, &field) {
				out = append(out, field)
			}
		}
	}
	walk(err)
	return out
}

// PropsField returns Field: code outside this module's constructs, which
// cannot name this internal type, finds field errors with errors.As to an
// interface { PropsField() string } and reads the cause with Unwrap.
func (e *FieldError) PropsField() string { return e.Field }
