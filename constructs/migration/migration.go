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
)

// DefaultCommand is the command the task runs unless Props.Task.Command is set.
var DefaultCommand = []string{"python", "manage.py", "migrate", "--noinput"}

// Props configures a Migration.
type Props struct {
	// Task is the Django container; Command defaults to DefaultCommand.
	Task apptask.Props
}

// Migration is the migration task definition.
type Migration struct {
	task *apptask.AppTask
}

// New creates a Migration under scope, or returns an error naming the first
// invalid field of props before creating anything.
func New(scope constructs.Construct, id string, props *Props) (*Migration, error) {
	var p Props
	if props != nil {
		p = *props
	}
	if len(p.Task.Command) == 0 {
		p.Task.Command = DefaultCommand
	}
	construct := constructs.NewConstruct(scope, jsii.String(id))
	task, err := apptask.New(construct, "Task", &p.Task)
	if err != nil {
		return nil, err
	}
	return &Migration{task: task}, nil
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
