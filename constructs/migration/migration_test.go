package migration

import "testing"

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
