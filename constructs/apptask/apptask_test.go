package apptask

import (
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
	"github.com/djangocdk/djangocdk/constructs/internal/propserr"
)

// placeholderImage satisfies awsecs.ContainerImage; validation never calls it.
type placeholderImage struct{ awsecs.ContainerImage }

func TestCheckSize(t *testing.T) {
	for _, c := range []struct {
		cpu, memory int
		ok          bool
	}{{256, 512, true}, {256, 4096, false}, {512, 1024, true}, {512, 5120, false}, {1024, 2048, true}, {4096, 30720, true}, {300, 1024, false}} {
		if err := CheckSize(c.cpu, c.memory); (err == nil) != c.ok {
			t.Errorf("CheckSize(%d, %d) = %v, want ok=%v", c.cpu, c.memory, err, c.ok)
		}
	}
}

func TestNewRejectsInvalidProps(t *testing.T) {
	cases := map[string]struct {
		props Props
		want  string
	}{
		"no image":     {Props{Command: []string{"x"}}, "Task: apptask.Props.Image: required"},
		"no command":   {Props{Image: placeholderImage{}}, "Task: apptask.Props.Command: required"},
		"size":         {Props{Image: placeholderImage{}, Command: []string{"x"}, Cpu: 256, MemoryMiB: 8192}, "Task: apptask.Props.Cpu, MemoryMiB: 8192 MiB of memory does not go with cpu 256"},
		"stop timeout": {Props{Image: placeholderImage{}, Command: []string{"x"}, StopTimeoutSeconds: 121}, "Task: apptask.Props.StopTimeoutSeconds: 121 is outside 1 to 120"},
		"both": {Props{Image: placeholderImage{}, Command: []string{"x"}, Environment: map[string]string{"DJANGO_SECRET_KEY": "x"},
			Secrets: map[string]awsecs.Secret{"DJANGO_SECRET_KEY": nil}}, "Task: apptask.Props.Environment: DJANGO_SECRET_KEY is also a secret"},
		"root writable path": {Props{Image: placeholderImage{}, Command: []string{"x"}, WritablePaths: []string{"/tmp", "/"}},
			`Task: apptask.Props.WritablePaths[1]: "/" is the root filesystem, which no volume`},
		"relative writable path": {Props{Image: placeholderImage{}, Command: []string{"x"}, WritablePaths: []string{"tmp"}},
			`Task: apptask.Props.WritablePaths[0]: "tmp" is not an absolute, clean directory path`},
		"root user": {Props{Image: placeholderImage{}, Command: []string{"x"}, User: "0:0"},
			`Task: apptask.Props.User: "0:0" is root`},
		"tracing": {Props{Image: placeholderImage{}, Command: []string{"x"}, Tracing: &Tracing{Service: "web", SampleRatio: ptr(1.5)}},
			`Task: apptask.Props.Tracing.SampleRatio: 1.5 is not a ratio from 0 to 1`},
	}
	for name, c := range cases {
		if _, err := New(nil, "Task", &c.props); err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %s...", name, err, c.want)
		}
	}
}

// Every problem at once, each on its own line naming the field.
func TestNewReportsEveryProblem(t *testing.T) {
	_, err := New(nil, "Task", &Props{Cpu: 300, User: "root", Tracing: &Tracing{}})
	want := strings.Join([]string{
		"Task: apptask.Props.Image: required",
		"Task: apptask.Props.Command: required",
		"Task: apptask.Props.Cpu, MemoryMiB: cpu 300 is not a Fargate size; use 256, 512, 1024, 2048, 4096, 8192 or 16384",
		`Task: apptask.Props.User: "root" is root; the containers must run as an unprivileged user`,
		"Task: apptask.Props.Tracing.Service: required",
	}, "\n")
	if err == nil || err.Error() != want {
		t.Errorf("error:\n%v\nwant:\n%s", err, want)
	}
}

// A construct that embeds an AppTask names the fields as its own.
func TestProblemsNamedByTheEmbeddingConstruct(t *testing.T) {
	problems := Problems(&Props{Command: []string{"x"}}, "djangoweb.Props.Task")
	if len(problems) != 1 || problems[0].Error() != "djangoweb.Props.Task.Image: required" {
		t.Errorf("problems %v", problems)
	}
}

func TestCheckWritablePaths(t *testing.T) {
	for _, c := range []struct {
		paths []string
		index int
		want  string // "" for valid
	}{
		{[]string{"/tmp"}, 0, ""},
		{[]string{}, 0, ""},
		{[]string{"/tmp", "/home/django/.cache", "/var/run/app"}, 0, ""},
		{[]string{"/"}, 0, `"/" is the root filesystem`},
		{[]string{"/tmp", "/tmp"}, 1, `"/tmp" is listed twice`},
		{[]string{"/tmp/", "/x"}, 0, "not an absolute, clean directory path"},
		{[]string{"/var/../etc"}, 0, "not an absolute, clean directory path"},
		{[]string{"/a b"}, 0, "not an absolute, clean directory path"},
		{[]string{"/var", "/var/tmp"}, 1, `"/var" and "/var/tmp" are nested`},
		{[]string{"/var/tmp", "/var"}, 1, `"/var/tmp" and "/var" are nested`},
		{[]string{"/a-b", "/a/b"}, 1, "would share the volume name writable-a-b"},
	} {
		i, err := CheckWritablePaths(c.paths)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%q: %v, want valid", c.paths, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want) || i != c.index):
			t.Errorf("%q: [%d] %v, want [%d] ...%s...", c.paths, i, err, c.index, c.want)
		}
	}
}

func TestCheckUser(t *testing.T) {
	for user, ok := range map[string]bool{"": true, "django": true, "1000": true, "1000:1000": true, "django:django": true,
		"root": false, "0": false, "0:0": false, "root:django": false, "a b": false, ":1000": false} {
		if err := CheckUser(user); (err == nil) != ok {
			t.Errorf("CheckUser(%q) = %v, want ok=%v", user, err, ok)
		}
	}
}

func TestVolumeName(t *testing.T) {
	for path, want := range map[string]string{"/tmp": "writable-tmp", "/home/django/.cache": "writable-home-django-_cache"} {
		if got := VolumeName(path); got != want {
			t.Errorf("VolumeName(%q) = %s, want %s", path, got, want)
		}
	}
}

func ptr[T any](v T) *T { return &v }

func TestValidate(t *testing.T) {
	if err := (&Props{Command: []string{"x"}}).Validate(); err != nil {
		t.Errorf("Validate leaves Image to New, got %v", err)
	}
	cases := map[string]struct {
		props Props
		field string
		want  string
	}{
		"size":      {Props{Command: []string{"x"}, Cpu: 256, MemoryMiB: 4096}, "Cpu, MemoryMiB", "apptask.Props.Cpu, MemoryMiB: 4096 MiB of memory does not go with cpu 256 on Fargate (see the task size table)"},
		"stop":      {Props{Command: []string{"x"}, StopTimeoutSeconds: 121}, "StopTimeoutSeconds", "apptask.Props.StopTimeoutSeconds: 121 is outside 1 to 120 (Fargate's limit)"},
		"command":   {Props{}, "Command", "apptask.Props.Command: required"},
		"ratio":     {Props{Command: []string{"x"}, Tracing: &Tracing{Service: "web", SampleRatio: ptr(-0.5)}}, "Tracing.SampleRatio", "apptask.Props.Tracing.SampleRatio: -0.5 is not a ratio from 0 to 1"},
		"writables": {Props{Command: []string{"x"}, WritablePaths: []string{"tmp"}}, "WritablePaths[0]", `apptask.Props.WritablePaths[0]: "tmp" is not an absolute, clean directory path such as /tmp (letters, digits, _ . - between slashes)`},
	}
	for name, c := range cases {
		err := c.props.Validate()
		fields := propserr.Fields(err)
		if err == nil || err.Error() != c.want || len(fields) != 1 || fields[0].Field != c.field {
			t.Errorf("%s: Validate = %v (fields %v), want %q on field %s", name, err, fields, c.want, c.field)
		}
	}
}

func TestZeroSampleRatioIsKept(t *testing.T) {
	if got := (&Tracing{Service: "web", SampleRatio: ptr(0.0)}).Environment()["OTEL_TRACES_SAMPLER_ARG"]; got != "0" {
		t.Errorf("an explicit 0 became %q", got)
	}
	if got := (&Tracing{Service: "web"}).Environment()["OTEL_TRACES_SAMPLER_ARG"]; got != "0.1" {
		t.Errorf("nil gave %q, want the default 0.1", got)
	}
}
