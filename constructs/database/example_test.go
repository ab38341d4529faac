package database_test

import (
	"log"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/jsii-runtime-go"
	"github.com/djangocdk/djangocdk/constructs/database"
)

// A production database behind RDS Proxy, reachable from the web tasks only.
func Example() {
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("Data"), nil)
	vpc := awsec2.NewVpc(stack, jsii.String("Vpc"), nil)
	web := awsec2.NewSecurityGroup(stack, jsii.String("Web"), &awsec2.SecurityGroupProps{Vpc: vpc})

	db, err := database.New(stack, "Database", &database.Props{
		Vpc:                 vpc,
		Subnets:             &awsec2.SubnetSelection{SubnetType: awsec2.SubnetType_PRIVATE_ISOLATED},
		InstanceIdentifier:  "shop-production",
		InstanceClass:       "db.r6g.large",
		MultiAz:             true,
		BackupRetentionDays: 30,
		Proxy:               true,
	})
	if err != nil {
		log.Fatal(err)
	}
	db.AllowFrom(web, "PostgreSQL from the web tasks")
	_ = db.Host()   // POSTGRES_HOST: the proxy's endpoint
	_ = db.Secret() // username and password fields for POSTGRES_USER and POSTGRES_PASSWORD
}
