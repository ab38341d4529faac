package appsettings_test

import (
	"fmt"
	"log"
	"sort"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
	"github.com/djangocdk/djangocdk/constructs/appsettings"
)

// The secret key, the third-party secret and two plain settings of one environment.
func Example() {
	app := awscdk.NewApp(nil)
	// One environment as a Stage, as CDK Pipelines deploys it.
	production := awscdk.NewStage(app, jsii.String("Production"), nil)
	stack := awscdk.NewStack(production, jsii.String("Data"), nil)
	settings, err := appsettings.New(stack, "Settings", &appsettings.Props{
		ParameterPrefix: "/shop/production/",
		SecretPrefix:    "shop/production/",
		Parameters: map[string]*string{
			"DJANGO_ALLOWED_HOSTS":   jsii.String("shop.example.com"),
			"DJANGO_SETTINGS_MODULE": jsii.String("config.settings.production"),
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	_ = settings.DjangoSecret()                    // field DJANGO_SECRET_KEY
	_ = settings.Parameter("DJANGO_ALLOWED_HOSTS") // /shop/production/DJANGO_ALLOWED_HOSTS

	template := assertions.Template_FromStack(stack, nil)
	var lines []string
	for _, r := range *template.FindResources(jsii.String("AWS::SecretsManager::Secret"), nil) {
		p := (*r)["Properties"].(map[string]any)
		value := fmt.Sprint(p["SecretString"])
		if g, ok := p["GenerateSecretString"].(map[string]any); ok {
			value = fmt.Sprintf("generated %v of %v characters", g["GenerateStringKey"], g["PasswordLength"])
		}
		lines = append(lines, fmt.Sprintf("AWS::SecretsManager::Secret %s: %s", p["Name"], value))
	}
	for _, r := range *template.FindResources(jsii.String("AWS::SSM::Parameter"), nil) {
		p := (*r)["Properties"].(map[string]any)
		lines = append(lines, fmt.Sprintf("AWS::SSM::Parameter %s = %s", p["Name"], p["Value"]))
	}
	sort.Strings(lines)
	for _, line := range lines {
		fmt.Println(line)
	}
	// Output:
	// AWS::SSM::Parameter /shop/production/DJANGO_ALLOWED_HOSTS = shop.example.com
	// AWS::SSM::Parameter /shop/production/DJANGO_SETTINGS_MODULE = config.settings.production
	// AWS::SecretsManager::Secret shop/production/django: generated DJANGO_SECRET_KEY of 64 characters
	// AWS::SecretsManager::Secret shop/production/third-party: {}
}
