package apptask_test

import (
	"log"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecr"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/jsii-runtime-go"
	"github.com/djangocdk/djangocdk/constructs/apptask"
)

// A management command as a task definition with the app's settings.
func Example() {
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("Compute"), nil)
	repository := awsecr.Repository_FromRepositoryName(stack, jsii.String("Repo"), jsii.String("shop"))
	django := awssecretsmanager.Secret_FromSecretNameV2(stack, jsii.String("Django"), jsii.String("shop/production/django"))

	task, err := apptask.New(stack, "ClearSessions", &apptask.Props{
		Image:       awsecs.ContainerImage_FromEcrRepository(repository, jsii.String("3f2c1e9")),
		Command:     []string{"python", "manage.py", "clearsessions"},
		Cpu:         256,
		MemoryMiB:   512,
		Environment: map[string]string{"DJANGO_SETTINGS_MODULE": "config.settings.production"},
		Secrets:     map[string]awsecs.Secret{"DJANGO_SECRET_KEY": awsecs.Secret_FromSecretsManager(django, jsii.String("DJANGO_SECRET_KEY"))},
	})
	if err != nil {
		log.Fatal(err)
	}
	_ = task.TaskDefinition()
}
