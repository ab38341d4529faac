package appsettings

import (
	"testing"

	"github.com/aws/jsii-runtime-go"
)

func TestNewRejectsInvalidProps(t *testing.T) {
	cases := map[string]struct {
		props Props
		want  string
	}{
		"no prefix":       {Props{}, `appsettings.Props.ParameterPrefix: "" is not a parameter path such as /myapp/prod/`},
		"relative prefix": {Props{ParameterPrefix: "myapp/prod/"}, `appsettings.Props.ParameterPrefix: "myapp/prod/" is not a parameter path such as /myapp/prod/`},
		"lower-case name": {Props{ParameterPrefix: "/a/", Parameters: map[string]*string{"debug": jsii.String("1")}}, `appsettings.Props.Parameters: "debug" is not an environment variable name (A-Z, 0-9, _)`},
		"no value":        {Props{ParameterPrefix: "/a/", Parameters: map[string]*string{"DEBUG": nil}}, `appsettings.Props.Parameters[DEBUG]: no value`},
	}
	for name, c := range cases {
		if _, err := New(nil, "Settings", &c.props); err == nil || err.Error() != c.want {
			t.Errorf("%s: error %v, want %s", name, err, c.want)
		}
	}
}
