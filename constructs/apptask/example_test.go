package apptask_test

import (
	"fmt"
	"log"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecr"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/jsii-runtime-go"
	"github.com/djangocdk/djangocdk/constructs/apptask"
)

// A management command as a task definition with the app's settings: a
// read-only root filesystem with a writable /tmp volume, the secrets read
// at task start, logs that never block the app.
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
	fmt.Println("construct:", *task.Node().Path())

	template := assertions.Template_FromStack(stack, nil)
	for _, d := range *template.FindResources(jsii.String("AWS::ECS::TaskDefinition"), nil) {
		props := (*d)["Properties"].(map[string]any)
		fmt.Println("AWS::ECS::TaskDefinition", props["Cpu"], props["Memory"], props["RuntimePlatform"].(map[string]any)["CpuArchitecture"], "volumes:", props["Volumes"])
		c := props["ContainerDefinitions"].([]any)[0].(map[string]any)
		fmt.Println("  container:", c["Name"], c["Command"])
		fmt.Println("  read-only root:", c["ReadonlyRootFilesystem"], "mounts:", c["MountPoints"])
		fmt.Println("  stop timeout:", c["StopTimeout"], "log mode:", c["LogConfiguration"].(map[string]any)["Options"].(map[string]any)["mode"])
		for _, s := range c["Secrets"].([]any) {
			fmt.Println("  secret:", s.(map[string]any)["Name"])
		}
	}
	for _, l := range *template.FindResources(jsii.String("AWS::Logs::LogGroup"), nil) {
		fmt.Println("AWS::Logs::LogGroup retention:", (*l)["Properties"].(map[string]any)["RetentionInDays"], "deletion:", (*l)["DeletionPolicy"])
	}
	// Output:
	// construct: Compute/ClearSessions
	// AWS::ECS::TaskDefinition 256 512 ARM64 volumes: [map[Name:writable-tmp]]
	//   container: django [python manage.py clearsessions]
	//   read-only root: true mounts: [map[ContainerPath:/tmp ReadOnly:false SourceVolume:writable-tmp]]
	//   stop timeout: 30 log mode: non-blocking
	//   secret: DJANGO_SECRET_KEY
	// AWS::Logs::LogGroup retention: 30 deletion: Retain
}

// Props are checked before anything is created, and every problem is
// reported at once, each naming the construct and the field.
func Example_invalidProps() {
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("Compute"), nil)
	_, err := apptask.New(stack, "ClearSessions", &apptask.Props{
		Command:            []string{"python", "manage.py", "clearsessions"},
		Cpu:                256,
		MemoryMiB:          4096,
		StopTimeoutSeconds: 300,
	})
	fmt.Println(err)
	// Output:
	// Compute/ClearSessions: apptask.Props.Image: required
	// Compute/ClearSessions: apptask.Props.Cpu, MemoryMiB: 4096 MiB of memory does not go with cpu 256 on Fargate (see the task size table)
	// Compute/ClearSessions: apptask.Props.StopTimeoutSeconds: 300 is outside 1 to 120 (Fargate's limit)
}
