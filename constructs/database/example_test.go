package database_test

import (
	"fmt"
	"log"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/jsii-runtime-go"
	"github.com/djangocdk/djangocdk/constructs/database"
)

// A production database behind RDS Proxy, reachable from the web tasks only.
func Example() {
	app := awscdk.NewApp(nil)
	// One environment as a Stage, as CDK Pipelines deploys it.
	production := awscdk.NewStage(app, jsii.String("Production"), nil)
	stack := awscdk.NewStack(production, jsii.String("Data"), nil)
	// The database goes in isolated subnets (no route to the internet).
	vpc := awsec2.NewVpc(stack, jsii.String("Vpc"), &awsec2.VpcProps{
		MaxAzs: jsii.Number(2),
		SubnetConfiguration: &[]*awsec2.SubnetConfiguration{
			{Name: jsii.String("Public"), SubnetType: awsec2.SubnetType_PUBLIC},
			{Name: jsii.String("Isolated"), SubnetType: awsec2.SubnetType_PRIVATE_ISOLATED},
		},
	})
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

	template := assertions.Template_FromStack(stack, nil)
	for _, r := range *template.FindResources(jsii.String("AWS::RDS::DBInstance"), nil) {
		p := (*r)["Properties"].(map[string]any)
		fmt.Println("AWS::RDS::DBInstance", p["DBInstanceClass"], p["Engine"], p["EngineVersion"],
			"StorageEncrypted="+fmt.Sprint(p["StorageEncrypted"]), "MultiAZ="+fmt.Sprint(p["MultiAZ"]),
			"BackupRetentionPeriod="+fmt.Sprint(p["BackupRetentionPeriod"]), "DeletionPolicy="+fmt.Sprint((*r)["DeletionPolicy"]))
	}
	for _, r := range *template.FindResources(jsii.String("AWS::RDS::DBParameterGroup"), nil) {
		p := (*r)["Properties"].(map[string]any)["Parameters"].(map[string]any)
		fmt.Println("AWS::RDS::DBParameterGroup rds.force_ssl="+fmt.Sprint(p["rds.force_ssl"]), "log_min_duration_statement="+fmt.Sprint(p["log_min_duration_statement"]))
	}
	for _, r := range *template.FindResources(jsii.String("AWS::RDS::DBProxy"), nil) {
		p := (*r)["Properties"].(map[string]any)
		fmt.Println("AWS::RDS::DBProxy", p["EngineFamily"], "RequireTLS="+fmt.Sprint(p["RequireTLS"]), "IdleClientTimeout="+fmt.Sprint(p["IdleClientTimeout"]))
	}
	for _, r := range *template.FindResources(jsii.String("AWS::SecretsManager::Secret"), nil) {
		g := (*r)["Properties"].(map[string]any)["GenerateSecretString"].(map[string]any)
		fmt.Println("AWS::SecretsManager::Secret", g["SecretStringTemplate"], "+", g["GenerateStringKey"])
	}
	// Output:
	// AWS::RDS::DBInstance db.r6g.large postgres 18 StorageEncrypted=true MultiAZ=true BackupRetentionPeriod=30 DeletionPolicy=Snapshot
	// AWS::RDS::DBParameterGroup rds.force_ssl=1 log_min_duration_statement=500
	// AWS::RDS::DBProxy POSTGRESQL RequireTLS=true IdleClientTimeout=1800
	// AWS::SecretsManager::Secret {"username":"django","dbname":"django"} + password
}
