package apptask

import (
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
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
		"no image":     {Props{Command: []string{"x"}}, "apptask.Props.Image: required"},
		"no command":   {Props{Image: placeholderImage{}}, "apptask.Props.Command: required"},
		"size":         {Props{Image: placeholderImage{}, Command: []string{"x"}, Cpu: 256, MemoryMiB: 8192}, "apptask.Props.Cpu, MemoryMiB: 8192 MiB of memory does not go with cpu 256"},
		"stop timeout": {Props{Image: placeholderImage{}, Command: []string{"x"}, StopTimeoutSeconds: 121}, "apptask.Props.StopTimeoutSeconds: 121 is outside 1 to 120"},
		"both": {Props{Image: placeholderImage{}, Command: []string{"x"}, Environment: map[string]string{"DJANGO_SECRET_KEY": "x"},
			Secrets: map[string]awsecs.Secret{"DJANGO_SECRET_KEY": nil}}, "apptask.Props.Environment: DJANGO_SECRET_KEY is also a secret"},
	}
	for name, c := range cases {
		if _, err := New(nil, "Task", &c.props); err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %s...", name, err, c.want)
		}
	}
}
