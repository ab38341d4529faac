package appsettings_test

import (
	"log"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
	"github.com/djangocdk/djangocdk/constructs/appsettings"
)

// The secret key, the third-party secret and two plain settings of one environment.
func Example() {
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("Data"), nil)
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
}
