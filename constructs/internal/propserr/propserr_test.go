package propserr

import (
	"errors"
	"testing"
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
