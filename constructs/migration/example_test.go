package migration_test

import (
	"fmt"
	"log"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecr"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
	"github.com/aws/jsii-runtime-go"
	"github.com/djangocdk/djangocdk/constructs/apptask"
	"github.com/djangocdk/djangocdk/constructs/migration"
)

// The migration task of a release. The release runs a revision of it with
// the new image, once, before the services update.
func Example() {
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("Compute"), nil)
	repository := awsecr.Repository_FromRepositoryName(stack, jsii.String("Repo"), jsii.String("shop"))

	m, err := migration.New(stack, "Migration", &migration.Props{
		Task: apptask.Props{
			Image:  awsecs.ContainerImage_FromEcrRepository(repository, jsii.String("3f2c1e9")),
			Family: "shop-production-migrate",
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	template := assertions.Template_FromStack(stack, nil)
	definitions := template.FindResources(jsii.String("AWS::ECS::TaskDefinition"), nil)
	for _, d := range *definitions {
		props := (*d)["Properties"].(map[string]any)
		container := props["ContainerDefinitions"].([]any)[0].(map[string]any)
		fmt.Println(props["Family"], container["Name"], container["Command"])
	}
	fmt.Println(m.Task().TaskDefinition().Compatibility() == awsecs.Compatibility_FARGATE)
	// Output:
	// shop-production-migrate django [python manage.py migrate --noinput]
	// true
}
