// Package propserr turns the problems a construct finds in its props into
// one error that names the construct: every problem at once, each on its
// own line, each starting with the construct's path.
package propserr

import (
	"errors"
	"fmt"

	"github.com/aws/constructs-go/constructs/v10"
)

// At returns nil for no problems, else every problem joined (errors.Join),
// each prefixed with the path the construct id would have under scope:
// "Compute/Web: djangoweb.Props.MinTasks: ...". A nil scope (unit tests)
// or the App's root leaves just the id.
func At(scope constructs.IConstruct, id string, problems []error) error {
	if len(problems) == 0 {
		return nil
	}
	path := id
	if scope != nil {
		if p := *scope.Node().Path(); p != "" {
			path = p + "/" + id
		}
	}
	wrapped := make([]error, len(problems))
	for i, problem := range problems {
		wrapped[i] = fmt.Errorf("%s: %w", path, problem)
	}
	return errors.Join(wrapped...)
}

// List collects problems, each naming a field of the props.
type List []error

// Add records a problem of field, such as "apptask.Props.Cpu", as a
// *FieldError.
func (l *List) Add(field, format string, args ...any) {
	*l = append(*l, newField(field, fmt.Errorf(format, args...)))
}

// Check records err, if any, as a problem of field (a *FieldError).
func (l *List) Check(field string, err error) {
	if err != nil {
		*l = append(*l, newField(field, err))
	}
}

// Err returns nil for no problems, else every problem joined.
func (l List) Err() error { return errors.Join(l...) }

// Prefix is At for err, a single problem or an errors.Join of several
// (nil for none).
func Prefix(scope constructs.IConstruct, id string, err error) error {
	if err == nil {
		return nil
	}
	if joined, ok := err.(interface{ Unwrap() []error }); ok {
		return At(scope, id, joined.Unwrap())
	}
	return At(scope, id, []error{err})
}
