package migration

import (
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
	"github.com/aws/jsii-runtime-go"
	"github.com/djangocdk/djangocdk/constructs/apptask"
	tt "github.com/djangocdk/djangocdk/constructs/internal/templatetest"
)

func TestRunsMigrations(t *testing.T) {
	for _, c := range []struct {
		command []string
		want    bool
	}{
		{[]string{"python", "manage.py", "migrate", "--noinput"}, true},
		{[]string{"sh", "-c", "python manage.py migrate && gunicorn config.wsgi"}, true},
		{[]string{"sh", "-c", "./manage.py migrate;gunicorn"}, true},
		{[]string{"gunicorn", "config.wsgi:application"}, false},
		{[]string{"python", "manage.py", "showmigrations"}, false},
		{[]string{"celery", "-A", "config.celery_app", "worker", "--queues=migrate-data"}, false},
		{nil, false},
	} {
		if got := RunsMigrations(c.command); got != c.want {
			t.Errorf("RunsMigrations(%q) = %v, want %v", c.command, got, c.want)
		}
	}
}

func TestNewRejectsInvalidProps(t *testing.T) {
	_, err := New(nil, "Migration", &Props{Task: apptask.Props{Cpu: 256, MemoryMiB: 4096}})
	want := "Migration: migration.Props.Task.Image: required\n" +
		"Migration: migration.Props.Task.Cpu, MemoryMiB: 4096 MiB of memory does not go with cpu 256 on Fargate (see the task size table)"
	if err == nil || err.Error() != want {
		t.Errorf("error:\n%v\nwant:\n%s", err, want)
	}
}

func TestDefaults(t *testing.T) {
	stack := tt.Stack(t)
	m, err := New(stack, "Migration", &Props{Task: apptask.Props{
		Image: awsecs.ContainerImage_FromRegistry(jsii.String("example/shop:1"), nil), Family: "shop-migrate",
	}})
	if err != nil {
		t.Fatal(err)
	}
	awscdk.Tags_Of(m).Add(jsii.String("process"), jsii.String("migrate"), nil)
	template := tt.FromStack(t, stack)
	template.ResourceCountIs("AWS::ECS::Service", 0) // run by the release, by no service
	template.HasResourceProperties("AWS::ECS::TaskDefinition", map[string]any{
		"Family": "shop-migrate",
		"ContainerDefinitions": []any{tt.Like(map[string]any{
			"Command": []any{"python", "manage.py", "migrate", "--noinput"},
		})},
		"Tags": []any{map[string]any{"Key": "process", "Value": "migrate"}},
	})
	// The logical ids keep the path Migration/Task/...
	if _, ok := template.Resources("AWS::Logs::LogGroup")["MigrationTaskLogsC11CB801"]; !ok {
		t.Errorf("log groups %v", template.Resources("AWS::Logs::LogGroup"))
	}
}
