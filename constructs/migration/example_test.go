package migration_test

import (
	"log"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecr"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
	"github.com/aws/jsii-runtime-go"
	"github.com/djangocdk/djangocdk/constructs/apptask"
	"github.com/djangocdk/djangocdk/constructs/migration"
)

// The migration task of a release, and the command that runs it by hand.
func Example() {
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("Compute"), nil)
	vpc := awsec2.NewVpc(stack, jsii.String("Vpc"), nil)
	cluster := awsecs.NewCluster(stack, jsii.String("Cluster"), &awsecs.ClusterProps{Vpc: vpc})
	repository := awsecr.Repository_FromRepositoryName(stack, jsii.String("Repo"), jsii.String("shop"))
	dbClients := awsec2.NewSecurityGroup(stack, jsii.String("Migrations"), &awsec2.SecurityGroupProps{Vpc: vpc})

	m, err := migration.New(stack, "Migration", &migration.Props{
		Cluster:       cluster,
		Vpc:           vpc,
		SecurityGroup: dbClients,
		Task: apptask.Props{
			Image:  awsecs.ContainerImage_FromEcrRepository(repository, jsii.String("3f2c1e9")),
			Family: "shop-production-migrate",
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	awscdk.NewCfnOutput(stack, jsii.String("MigrateCommand"), &awscdk.CfnOutputProps{Value: m.RunTaskCommand()})
}
