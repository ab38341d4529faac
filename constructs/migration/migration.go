// Package migration provides the one-off task that runs Django's
// migrations: the app's image and settings, "manage.py migrate", run by no
// service. Migrations run once per release, before the services update, never
// in a web container's command, where every scale-out would run them again.
//
// The release runs a revision of this task definition with the new image
// (the releasepipeline package's run-task.sh), so the definition's own image
// is never the one that migrates.
package migration

import (
	"strings"

	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/djangocdk/djangocdk/constructs/apptask"
	"github.com/djangocdk/djangocdk/constructs/internal/propserr"
)

// DefaultCommand is the command the task runs unless Props.Task.Command is set.
var DefaultCommand = []string{"python", "manage.py", "migrate", "--noinput"}

// Props configures a Migration.
type Props struct {
	// Task is the Django container (Image required; see apptask.Props for
	// the other fields' defaults). Command: Default: DefaultCommand.
	Task apptask.Props
}

// Migration is the migration task definition. It is a construct: the task
// is its child "Task".
type Migration struct {
	constructs.Construct
	task *apptask.AppTask
}

// New creates a Migration under scope, or returns an error before creating
// anything: every invalid field of props, each on a line that starts with
// the construct's path ("Compute/Migration: migration.Props.Task.Image:
// required").
func New(scope constructs.Construct, id string, props *Props) (*Migration, error) {
	var p Props
	if props != nil {
		p = *props
	}
	if len(p.Task.Command) == 0 {
		p.Task.Command = DefaultCommand
	}
	if err := propserr.At(scope, id, apptask.Problems(&p.Task, "migration.Props.Task")); err != nil {
		return nil, err
	}
	m := &Migration{}
	constructs.NewConstruct_Override(m, scope, jsii.String(id))
	task, err := apptask.New(m, "Task", &p.Task)
	if err != nil {
		return nil, err
	}
	m.task = task
	return m, nil
}

// Task returns the task definition and its container.
func (m *Migration) Task() *apptask.AppTask { return m.task }

// RunsMigrations reports whether command runs Django's migrate command:
// only the migration task may.
func RunsMigrations(command []string) bool {
	words := strings.FieldsFunc(strings.Join(command, " "), func(r rune) bool {
		return strings.ContainsRune(" \t\n'\"&;|()`", r) // shell word separators
	})
	for _, word := range words {
		if word == "migrate" {
			return true
		}
	}
	return false
}
