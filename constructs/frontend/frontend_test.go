package frontend

import (
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudfront"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
)

type placeholderBucket struct{ awss3.IBucket }
type placeholderOrigin struct{ awscloudfront.IOrigin }

func TestNewRejectsInvalidProps(t *testing.T) {
	logs := placeholderBucket{}
	cases := map[string]struct {
		props Props
		want  string
	}{
		"name":        {Props{Name: "Web", LogBucket: logs}, `frontend.Props.Name: "Web" is not an app name`},
		"assets":      {Props{Name: "web", AssetsPath: "assets/*", LogBucket: logs}, `frontend.Props.AssetsPath: "assets/*" is not a path pattern`},
		"domain":      {Props{Name: "web", DomainName: "x.example.com", LogBucket: logs}, "frontend.Props.DomainName, CertificateArn: set both or neither"},
		"logs":        {Props{Name: "web"}, "frontend.Props.LogBucket: required"},
		"django":      {Props{Name: "web", LogBucket: logs, Django: &Django{Origin: placeholderOrigin{}}}, "frontend.Props.Django: needs an Origin and at least one path"},
		"django path": {Props{Name: "web", LogBucket: logs, Django: &Django{Origin: placeholderOrigin{}, Paths: []string{"api/*"}}}, `frontend.Props.Django.Paths[0]: "api/*" is not a path pattern`},
	}
	for name, c := range cases {
		if _, err := New(nil, "Frontend", &c.props); err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %s...", name, err, c.want)
		}
	}
}
