package staticfiles

import (
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
)

// placeholderBucket satisfies awss3.IBucket; validation never calls it.
type placeholderBucket struct{ awss3.IBucket }

// placeholderRole satisfies awsiam.IRole; validation never calls it.
type placeholderRole struct{ awsiam.IRole }

func TestNewRejectsInvalidProps(t *testing.T) {
	cases := []struct {
		props Props
		want  string
	}{
		{Props{}, "staticfiles.Props.Bucket: required"},
		{func() Props { p := Props{Bucket: placeholderBucket{}}; p.Task.TaskRole = placeholderRole{}; return p }(), "staticfiles.Props.Task.TaskRole: leave empty"},
	}
	for _, c := range cases {
		if _, err := New(nil, "Static", &c.props); err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("error %v, want %s...", err, c.want)
		}
	}
}

func TestDefaultCommand(t *testing.T) {
	p, err := (&Props{Bucket: placeholderBucket{}}).withDefaults()
	if err != nil || strings.Join(p.Task.Command, " ") != "python manage.py collectstatic --noinput" {
		t.Errorf("command %q, err %v", p.Task.Command, err)
	}
}
