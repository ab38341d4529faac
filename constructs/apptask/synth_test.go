package apptask

import (
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
	"github.com/aws/jsii-runtime-go"
	tt "github.com/djangocdk/djangocdk/constructs/internal/templatetest"
)

func newTask(t *testing.T, edit func(*Props)) (*AppTask, *tt.Template) {
	t.Helper()
	stack := tt.Stack(t)
	props := Props{
		Image:   awsecs.ContainerImage_FromRegistry(jsii.String("example/shop:1"), nil),
		Command: []string{"python", "manage.py", "clearsessions"},
	}
	if edit != nil {
		edit(&props)
	}
	task, err := New(stack, "Task", &props)
	if err != nil {
		t.Fatal(err)
	}
	return task, tt.FromStack(t, stack)
}

func TestDefaults(t *testing.T) {
	_, template := newTask(t, nil)
	template.ResourceCountIs("AWS::ECS::TaskDefinition", 1)
	template.HasResourceProperties("AWS::ECS::TaskDefinition", map[string]any{
		"Cpu":                     "512",
		"Memory":                  "1024",
		"NetworkMode":             "awsvpc",
		"RequiresCompatibilities": []any{"FARGATE"},
		"RuntimePlatform":         map[string]any{"CpuArchitecture": "ARM64", "OperatingSystemFamily": "LINUX"},
		"Volumes":                 []any{map[string]any{"Name": "writable-tmp"}},
		"ContainerDefinitions": []any{tt.Like(map[string]any{
			"Name":                   ContainerName,
			"Essential":              true,
			"Command":                []any{"python", "manage.py", "clearsessions"},
			"ReadonlyRootFilesystem": true,
			"StopTimeout":            30,
			"User":                   tt.Absent(),
			"PortMappings":           tt.Absent(),
			"MountPoints":            []any{map[string]any{"ContainerPath": "/tmp", "SourceVolume": "writable-tmp", "ReadOnly": false}},
			"LogConfiguration": tt.Like(map[string]any{
				"LogDriver": "awslogs",
				"Options":   tt.Like(map[string]any{"mode": "non-blocking", "max-buffer-size": "26214400b", "awslogs-stream-prefix": "django"}),
			}),
		})},
	})
	template.HasResource("AWS::Logs::LogGroup", map[string]any{
		"Properties":     map[string]any{"RetentionInDays": 30},
		"DeletionPolicy": "Retain",
	})
}

func TestSettingsAreSortedAndPortMapped(t *testing.T) {
	_, template := newTask(t, func(p *Props) {
		p.Port = 8000
		p.User = "django"
		p.Environment = map[string]string{"B": "2", "A": "1"}
	})
	template.HasResourceProperties("AWS::ECS::TaskDefinition", map[string]any{
		"ContainerDefinitions": []any{tt.Like(map[string]any{
			"User":         "django",
			"PortMappings": []any{map[string]any{"ContainerPort": 8000, "Protocol": "tcp"}},
			"Environment":  []any{map[string]any{"Name": "A", "Value": "1"}, map[string]any{"Name": "B", "Value": "2"}},
		})},
	})
}

func TestTracingSidecar(t *testing.T) {
	_, template := newTask(t, func(p *Props) {
		p.Tracing = &Tracing{Service: "shop-web", SampleRatio: jsii.Number(0.25)}
		p.Environment = map[string]string{"OTEL_PROPAGATORS": "tracecontext"} // the caller's value wins
	})
	template.HasResourceProperties("AWS::ECS::TaskDefinition", map[string]any{
		"ContainerDefinitions": []any{
			tt.Like(map[string]any{
				"Name": ContainerName,
				"Environment": tt.ArrayWith(
					map[string]any{"Name": "OTEL_EXPORTER_OTLP_ENDPOINT", "Value": "http://localhost:4317"},
					map[string]any{"Name": "OTEL_PROPAGATORS", "Value": "tracecontext"},
					map[string]any{"Name": "OTEL_SERVICE_NAME", "Value": "shop-web"},
					map[string]any{"Name": "OTEL_TRACES_SAMPLER_ARG", "Value": "0.25"},
				),
			}),
			tt.Like(map[string]any{
				"Name":                   "otel-collector",
				"Image":                  DefaultCollectorImage,
				"Essential":              false,
				"Command":                []any{"--config=/etc/ecs/ecs-xray.yaml"},
				"ReadonlyRootFilesystem": true,
			}),
		},
	})
}

func TestWritableRootFilesystem(t *testing.T) {
	_, template := newTask(t, func(p *Props) {
		p.WritableRootFilesystem = true
		p.WritablePaths = []string{} // none
	})
	template.HasResourceProperties("AWS::ECS::TaskDefinition", map[string]any{
		"Volumes": tt.Absent(),
		"ContainerDefinitions": []any{tt.Like(map[string]any{
			"ReadonlyRootFilesystem": false,
			"MountPoints":            tt.Absent(),
		})},
	})
}

func TestWritablePaths(t *testing.T) {
	_, template := newTask(t, func(p *Props) { p.WritablePaths = []string{"/tmp", "/home/django/.cache"} })
	template.HasResourceProperties("AWS::ECS::TaskDefinition", map[string]any{
		"Volumes": []any{map[string]any{"Name": "writable-tmp"}, map[string]any{"Name": "writable-home-django-_cache"}},
		"ContainerDefinitions": []any{tt.Like(map[string]any{
			"ReadonlyRootFilesystem": true,
			"MountPoints": []any{
				map[string]any{"ContainerPath": "/tmp", "SourceVolume": "writable-tmp", "ReadOnly": false},
				map[string]any{"ContainerPath": "/home/django/.cache", "SourceVolume": "writable-home-django-_cache", "ReadOnly": false},
			},
		})},
	})
}

// The AppTask is the construct that holds its resources: tags and
// dependencies given to it reach them, and its path names it in errors.
func TestIsAConstruct(t *testing.T) {
	stack := tt.Stack(t)
	props := &Props{Image: awsecs.ContainerImage_FromRegistry(jsii.String("example/shop:1"), nil), Command: []string{"x"}}
	task, err := New(stack, "Task", props)
	if err != nil {
		t.Fatal(err)
	}
	awscdk.Tags_Of(task).Add(jsii.String("process"), jsii.String("clearsessions"), nil)
	if got, want := *task.Node().Path(), *stack.Node().Path()+"/Task"; got != want {
		t.Errorf("path %s, want %s", got, want)
	}
	if got := *task.TaskDefinition().Node().Scope().Node().Path(); got != *task.Node().Path() {
		t.Errorf("the task definition's parent is %s", got)
	}
	tt.FromStack(t, stack).HasResourceProperties("AWS::ECS::TaskDefinition", map[string]any{
		"Tags": []any{map[string]any{"Key": "process", "Value": "clearsessions"}},
	})
	_, err = New(stack, "Again", &Props{Command: []string{"x"}})
	if want := *stack.Node().Path() + "/Again: apptask.Props.Image: required"; err == nil || err.Error() != want {
		t.Errorf("error %v, want %s", err, want)
	}
}
