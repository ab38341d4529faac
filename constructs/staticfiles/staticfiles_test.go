package staticfiles

import (
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/jsii-runtime-go"
	"github.com/djangocdk/djangocdk/constructs/apptask"
	tt "github.com/djangocdk/djangocdk/constructs/internal/templatetest"
)

// placeholderBucket satisfies awss3.IBucket; validation never calls it.
type placeholderBucket struct{ awss3.IBucket }

// placeholderRole satisfies awsiam.IRole; validation never calls it.
type placeholderRole struct{ awsiam.IRole }

// placeholderImage satisfies awsecs.ContainerImage; validation never calls it.
type placeholderImage struct{ awsecs.ContainerImage }

func TestNewRejectsInvalidProps(t *testing.T) {
	cases := []struct {
		props Props
		want  string
	}{
		{Props{Task: apptaskProps()}, "Static: staticfiles.Props.Bucket: required"},
		{func() Props {
			p := Props{Bucket: placeholderBucket{}, Task: apptaskProps()}
			p.Task.TaskRole = placeholderRole{}
			return p
		}(), "Static: staticfiles.Props.Task.TaskRole: leave empty"},
	}
	for _, c := range cases {
		if _, err := New(nil, "Static", &c.props); err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("error %v, want %s...", err, c.want)
		}
	}
	// Every problem at once, the task's named as fields of these props.
	_, err := New(nil, "Static", &Props{})
	if want := "Static: staticfiles.Props.Bucket: required\nStatic: staticfiles.Props.Task.Image: required"; err == nil || err.Error() != want {
		t.Errorf("error %v, want %s", err, want)
	}
}

func apptaskProps() (p apptask.Props) {
	p.Image = placeholderImage{}
	return p
}

func TestDefaultCommand(t *testing.T) {
	p := (&Props{Bucket: placeholderBucket{}}).withDefaults()
	if strings.Join(p.Task.Command, " ") != "python manage.py collectstatic --noinput" {
		t.Errorf("command %q", p.Task.Command)
	}
}

func TestDefaults(t *testing.T) {
	stack := tt.Stack(t)
	bucket := awss3.NewBucket(stack, jsii.String("Static"), nil)
	publisher, err := New(stack, "StaticFiles", &Props{
		Bucket: bucket,
		Task:   apptask.Props{Image: awsecs.ContainerImage_FromRegistry(jsii.String("example/shop:1"), nil)},
	})
	if err != nil {
		t.Fatal(err)
	}
	awscdk.Tags_Of(publisher).Add(jsii.String("process"), jsii.String("collectstatic"), nil)
	template := tt.FromStack(t, stack)
	template.ResourceCountIs("AWS::ECS::TaskDefinition", 1)
	template.HasResourceProperties("AWS::ECS::TaskDefinition", map[string]any{
		"ContainerDefinitions": []any{tt.Like(map[string]any{
			"Command":                []any{"python", "manage.py", "collectstatic", "--noinput"},
			"ReadonlyRootFilesystem": true,
		})},
		"Tags": []any{map[string]any{"Key": "process", "Value": "collectstatic"}},
	})
	template.HasResourceProperties("AWS::IAM::Role", map[string]any{
		"Description": "collectstatic: reads and writes the static bucket, nothing else",
		"Tags":        []any{map[string]any{"Key": "process", "Value": "collectstatic"}},
	})
	template.HasResourceProperties("AWS::IAM::Policy", map[string]any{
		"PolicyDocument": map[string]any{"Statement": tt.ArrayWith(tt.Like(map[string]any{
			"Action": tt.ArrayWith("s3:PutObject"), "Effect": "Allow",
		}))},
	})
	if got := *publisher.Role().Node().Scope().Node().Path(); got != *publisher.Node().Path() {
		t.Errorf("the role's parent is %s, want the publisher", got)
	}
}
