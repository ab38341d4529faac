package propserr

import (
	"errors"
	"testing"

	_ "github.com/djangocdk/djangocdk/internal/fastnode" // jsii's runtime from .build: none left in TMPDIR
)

func TestAt(t *testing.T) {
	if At(nil, "Web", nil) != nil {
		t.Error("no problems must be nil")
	}
	var l List
	l.Add("djangoweb.Props.MinTasks", "%d is less than 1", 0)
	cause := errors.New("required")
	l.Check("djangoweb.Props.Cluster", cause)
	l.Check("djangoweb.Props.Port", nil)
	err := At(nil, "Web", l)
	want := "Web: djangoweb.Props.MinTasks: 0 is less than 1\nWeb: djangoweb.Props.Cluster: required"
	if err == nil || err.Error() != want || !errors.Is(err, cause) {
		t.Errorf("At = %v, want %q wrapping the cause", err, want)
	}
}

func TestFields(t *testing.T) {
	var l List
	l.Add("djangoweb.Props.Gunicorn.Workers", "%d is less than 1", 0)
	l.Check("djangoweb.Props.Task.Cpu, MemoryMiB", errors.New("no such size"))
	l = append(l, errors.New("not a field"))
	err := Prefix(nil, "Web", l.Err())
	fields := Fields(err)
	if len(fields) != 2 || fields[0].Props != "djangoweb.Props" || fields[0].Field != "Gunicorn.Workers" || fields[1].Field != "Task.Cpu, MemoryMiB" {
		t.Fatalf("Fields = %+v", fields)
	}
	if got, want := fields[0].Error(), "djangoweb.Props.Gunicorn.Workers: 0 is less than 1"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if Fields(nil) != nil || Fields(errors.New("x")) != nil {
		t.Error("no field errors must give none")
	}
}
