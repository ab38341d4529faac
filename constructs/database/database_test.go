package database

import (
	"github.com/djangocdk/djangocdk/constructs/internal/templatetest"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/jsii-runtime-go"
)

// stacks hands out this test binary's stacks: one App, each test's stack
// in a stage of its own.
var stacks = templatetest.NewStaged()

// Invalid props are rejected before any resource (or jsii call) is made;
// the cases use a placeholder VPC that validation never calls.
func TestNewRejectsInvalidProps(t *testing.T) {
	var vpc awsec2.IVpc = placeholderVpc{}
	subnets := &awsec2.SubnetSelection{SubnetGroupName: jsii.String("Isolated")}
	valid := func() Props { return Props{Vpc: vpc, Subnets: subnets, InstanceIdentifier: "app-dev"} }
	cases := []struct {
		name string
		edit func(*Props)
		want string
	}{
		{"no vpc", func(p *Props) { p.Vpc = nil }, "Database: database.Props.Vpc: required"},
		{"no subnets", func(p *Props) { p.Subnets = nil }, "Database: database.Props.Subnets: required"},
		{"identifier", func(p *Props) { p.InstanceIdentifier = "App_Dev" }, `Database: database.Props.InstanceIdentifier: "App_Dev" is not an RDS identifier`},
		{"class", func(p *Props) { p.InstanceClass = "r6g.large" }, `Database: database.Props.InstanceClass: "r6g.large" is not an RDS instance class`},
		{"storage", func(p *Props) { p.AllocatedStorageGiB = 10 }, `Database: database.Props.AllocatedStorageGiB: 10 is outside gp3's 20 to 65536`},
		{"max storage", func(p *Props) { p.AllocatedStorageGiB = 50; p.MaxAllocatedStorageGiB = 40 }, `Database: database.Props.MaxAllocatedStorageGiB: 40 is not between AllocatedStorageGiB (50) and 65536, or Off (-1)`},
		{"backups", func(p *Props) { p.BackupRetentionDays = 36 }, `Database: database.Props.BackupRetentionDays: 36 is outside 1 to 35`},
		{"slow queries", func(p *Props) { p.SlowQueryMs = -5 }, `Database: database.Props.SlowQueryMs: -5 is negative; use Off (-1) or EveryStatement (-2)`},
		{"idle timeout", func(p *Props) { p.IdleInTransactionTimeoutMs = EveryStatement }, `Database: database.Props.IdleInTransactionTimeoutMs: -2 is negative; use Off (-1)`},
		{"monitoring", func(p *Props) { p.MonitoringIntervalSeconds = 2 }, `Database: database.Props.MonitoringIntervalSeconds: 2 is not an Enhanced Monitoring interval`},
		{"rotation without subnets", func(p *Props) { p.RotationDays = 30 }, `Database: database.Props.RotationSubnets: required when RotationDays is set`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := valid()
			c.edit(&p)
			_, err := New(nil, "Database", &p)
			if err == nil || !strings.HasPrefix(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("error %v, want one line starting %s", err, c.want)
			}
		})
	}
	p := valid()
	if _, err := p.check(true); err != nil {
		t.Errorf("valid props rejected: %v", err)
	}
	p.SlowQueryMs, p.IdleInTransactionTimeoutMs, p.MaxAllocatedStorageGiB = EveryStatement, Off, Off
	if _, err := p.check(true); err != nil {
		t.Errorf("the sentinels rejected: %v", err)
	}
}

// Every problem is reported at once, one line each, under the construct's
// path; nothing is created.
func TestNewReportsEveryProblem(t *testing.T) {
	stack := stacks.Stack(t)
	_, err := New(stack, "Database", &Props{InstanceIdentifier: "x_y", InstanceClass: "x", BackupRetentionDays: 40})
	want := strings.Join([]string{
		`TestNewReportsEveryProblem/Shop/Database: database.Props.Vpc: required`,
		`TestNewReportsEveryProblem/Shop/Database: database.Props.Subnets: required`,
		`TestNewReportsEveryProblem/Shop/Database: database.Props.InstanceIdentifier: "x_y" is not an RDS identifier (lowercase letters, digits and single hyphens, starting with a letter, at most 63)`,
		`TestNewReportsEveryProblem/Shop/Database: database.Props.InstanceClass: "x" is not an RDS instance class such as db.t4g.micro`,
		`TestNewReportsEveryProblem/Shop/Database: database.Props.BackupRetentionDays: 40 is outside 1 to 35`,
	}, "\n")
	if err == nil || err.Error() != want {
		t.Fatalf("error:\n%v\nwant:\n%s", err, want)
	}
	if n := len(*stack.Node().Children()); n != 0 {
		t.Errorf("the stack has %d children after a failed New, want none", n)
	}
}

func TestSupportsPerformanceInsights(t *testing.T) {
	for class, want := range map[string]bool{
		"db.t4g.micro": false, "db.t4g.small": false, "db.t3.micro": false,
		"db.t4g.medium": true, "db.r6g.large": true, "db.m7g.xlarge": true,
	} {
		if got := SupportsPerformanceInsights(class); got != want {
			t.Errorf("SupportsPerformanceInsights(%s) = %v, want %v", class, got, want)
		}
	}
}

// The defaults: a single-AZ db.t4g.micro on PostgreSQL 18, encrypted gp3
// storage growing to 100 GiB, a week of backups, a final snapshot and
// deletion protection; TLS forced; logs kept a month; no proxy, rotation or
// Enhanced Monitoring.
func TestSynthDefaults(t *testing.T) {
	stack := stacks.Stack(t)
	vpc := newVpc(stack)
	db, err := New(stack, "Database", &Props{Vpc: vpc, Subnets: isolated, InstanceIdentifier: "shop-dev"})
	if err != nil {
		t.Fatal(err)
	}
	web := awsec2.NewSecurityGroup(stack, jsii.String("Web"), &awsec2.SecurityGroupProps{Vpc: vpc})
	db.AllowFrom(web, "PostgreSQL from the web tasks")
	tmpl := templatetest.FromStack(t, stack).Template
	templatetest.Must(t, func() {
		tmpl.HasResource(jsii.String("AWS::RDS::DBInstance"), map[string]any{
			"Properties": map[string]any{
				"DBInstanceIdentifier": "shop-dev", "DBInstanceClass": "db.t4g.micro",
				"Engine": "postgres", "EngineVersion": MajorVersion, "AutoMinorVersionUpgrade": true,
				"StorageType": "gp3", "AllocatedStorage": "20", "MaxAllocatedStorage": 100, "StorageEncrypted": true,
				"MultiAZ": false, "BackupRetentionPeriod": 7, "DeletionProtection": true, "DeleteAutomatedBackups": false,
				"PubliclyAccessible": false, "Port": "5432", "DBName": "django", "CopyTagsToSnapshot": true,
				"EnablePerformanceInsights":   false,
				"EnableCloudwatchLogsExports": []any{"postgresql", "upgrade"},
				"MonitoringInterval":          assertions.Match_Absent(),
			},
			"DeletionPolicy": "Snapshot", "UpdateReplacePolicy": "Snapshot",
		})
		tmpl.HasResourceProperties(jsii.String("AWS::RDS::DBParameterGroup"), map[string]any{
			"Family": "postgres18",
			"Parameters": assertions.Match_ObjectLike(&map[string]any{
				"rds.force_ssl": "1", "log_min_duration_statement": "500", "idle_in_transaction_session_timeout": "60000",
			}),
		})
		tmpl.HasResource(jsii.String("AWS::SecretsManager::Secret"), map[string]any{
			"Properties": map[string]any{"GenerateSecretString": assertions.Match_ObjectLike(&map[string]any{
				"SecretStringTemplate": `{"username":"django","dbname":"django"}`, "GenerateStringKey": "password",
			})},
			"DeletionPolicy": "Retain",
		})
		tmpl.HasResource(jsii.String("AWS::Logs::LogGroup"), map[string]any{
			"Properties":     map[string]any{"LogGroupName": "/aws/rds/instance/shop-dev/postgresql", "RetentionInDays": 30},
			"DeletionPolicy": "Retain",
		})
		tmpl.ResourceCountIs(jsii.String("AWS::Logs::LogGroup"), jsii.Number(2))
		tmpl.HasResourceProperties(jsii.String("AWS::EC2::SecurityGroupIngress"), map[string]any{
			"IpProtocol": "tcp", "FromPort": Port, "ToPort": Port,
			"GroupId": map[string]any{"Fn::GetAtt": []any{"DatabaseSecurityGroup5C91FDCB", "GroupId"}},
		})
		tmpl.ResourceCountIs(jsii.String("AWS::RDS::DBProxy"), jsii.Number(0))
		tmpl.ResourceCountIs(jsii.String("AWS::SecretsManager::RotationSchedule"), jsii.Number(0))
	})
	if db.Instance().Node().TryFindChild(jsii.String("MonitoringRole")) != nil {
		t.Error("an Enhanced Monitoring role without MonitoringIntervalSeconds")
	}
	if db.Proxy() != nil || db.InstanceClass() != "db.t4g.micro" || db.DatabaseName() != "django" {
		t.Errorf("Proxy %v, InstanceClass %s, DatabaseName %s", db.Proxy(), db.InstanceClass(), db.DatabaseName())
	}
	// The instance is the last to go: its log groups come first.
	instance := *tmpl.FindResources(jsii.String("AWS::RDS::DBInstance"), nil)
	if deps := len((*instance["DatabaseInstanceAA8A5FDE"])["DependsOn"].([]any)); deps != 2 {
		t.Errorf("the instance depends on %d resources, want its 2 log groups", deps)
	}
}

// Production settings: RDS Proxy in front (clients are allowed to the proxy,
// the proxy to the instance), password rotation, Enhanced Monitoring,
// Multi-AZ, and a disposable instance (DESTROY).
func TestSynthProxyRotationMonitoring(t *testing.T) {
	stack := stacks.Stack(t)
	vpc := newVpc(stack)
	db, err := New(stack, "Database", &Props{
		Vpc: vpc, Subnets: isolated, InstanceIdentifier: "shop-prod", InstanceClass: "db.r6g.large",
		MultiAz: true, Proxy: true, RotationDays: 30, RotationSubnets: private, MonitoringIntervalSeconds: 60,
		RemovalPolicy: awscdk.RemovalPolicy_DESTROY, SecretName: "shop/prod/database",
	})
	if err != nil {
		t.Fatal(err)
	}
	web := awsec2.NewSecurityGroup(stack, jsii.String("Web"), &awsec2.SecurityGroupProps{Vpc: vpc})
	db.AllowFrom(web, "PostgreSQL from the web tasks")
	tmpl := templatetest.FromStack(t, stack).Template
	templatetest.Must(t, func() {
		tmpl.HasResource(jsii.String("AWS::RDS::DBInstance"), map[string]any{
			"Properties": map[string]any{
				"DBInstanceClass": "db.r6g.large", "MultiAZ": true, "EnablePerformanceInsights": true,
				"MonitoringInterval": 60, "DeletionProtection": false, "DeleteAutomatedBackups": true,
			},
			"DeletionPolicy": "Delete",
		})
		tmpl.HasResourceProperties(jsii.String("AWS::RDS::DBProxy"), map[string]any{
			"EngineFamily": "POSTGRESQL", "RequireTLS": true, "IdleClientTimeout": 1800,
		})
		tmpl.HasResourceProperties(jsii.String("AWS::SecretsManager::RotationSchedule"), map[string]any{
			"RotationRules": map[string]any{"ScheduleExpression": "rate(30 days)"},
		})
		tmpl.HasResourceProperties(jsii.String("AWS::SecretsManager::Secret"), map[string]any{"Name": "shop/prod/database"})
		tmpl.HasResource(jsii.String("AWS::Logs::LogGroup"), map[string]any{"DeletionPolicy": "Delete"})
		// Clients reach the proxy; only the proxy reaches the instance.
		tmpl.HasResourceProperties(jsii.String("AWS::EC2::SecurityGroupIngress"), map[string]any{
			"FromPort": Port, "GroupId": map[string]any{"Fn::GetAtt": []any{"DatabaseProxySecurityGroupCCC9DB86", "GroupId"}},
			"SourceSecurityGroupId": map[string]any{"Fn::GetAtt": []any{assertions.Match_StringLikeRegexp(jsii.String("^Web")), "GroupId"}},
		})
		tmpl.HasResourceProperties(jsii.String("AWS::EC2::SecurityGroupIngress"), map[string]any{
			"GroupId":               map[string]any{"Fn::GetAtt": []any{"DatabaseSecurityGroup5C91FDCB", "GroupId"}},
			"SourceSecurityGroupId": map[string]any{"Fn::GetAtt": []any{"DatabaseProxySecurityGroupCCC9DB86", "GroupId"}},
		})
	})
	if db.Proxy() == nil || stack.Resolve(db.Port()) != "5432" {
		t.Errorf("Proxy %v, Port %v", db.Proxy(), stack.Resolve(db.Port()))
	}
}

// The sentinels: Off and EveryStatement reach PostgreSQL as its own values,
// and Off leaves storage autoscaling off.
func TestSynthSentinels(t *testing.T) {
	stack := stacks.Stack(t)
	if _, err := New(stack, "Database", &Props{
		Vpc: newVpc(stack), Subnets: isolated, InstanceIdentifier: "shop-dev",
		SlowQueryMs: EveryStatement, IdleInTransactionTimeoutMs: Off, MaxAllocatedStorageGiB: Off,
	}); err != nil {
		t.Fatal(err)
	}
	tmpl := templatetest.FromStack(t, stack).Template
	templatetest.Must(t, func() {
		tmpl.HasResourceProperties(jsii.String("AWS::RDS::DBParameterGroup"), map[string]any{
			"Parameters": assertions.Match_ObjectLike(&map[string]any{
				"log_min_duration_statement": "0", "idle_in_transaction_session_timeout": "0",
			}),
		})
		tmpl.HasResourceProperties(jsii.String("AWS::RDS::DBInstance"), map[string]any{"MaxAllocatedStorage": assertions.Match_Absent()})
	})
	p := Props{SlowQueryMs: Off}
	if got := p.slowQueryMs(); got != -1 {
		t.Errorf("SlowQueryMs Off: log_min_duration_statement %d, want -1", got)
	}
}

// A Database is a construct: tags given to it reach its resources, a
// dependency on it is a dependency on them, and the logical IDs are those
// of the stacks' golden files.
func TestIsConstruct(t *testing.T) {
	stack := stacks.Stack(t)
	db, err := New(stack, "Database", &Props{Vpc: newVpc(stack), Subnets: isolated, InstanceIdentifier: "shop-dev"})
	if err != nil {
		t.Fatal(err)
	}
	awscdk.Tags_Of(db).Add(jsii.String("team"), jsii.String("platform"), nil)
	after := awscdk.NewCfnWaitConditionHandle(stack, jsii.String("After"), nil)
	after.Node().AddDependency(db)
	tmpl := templatetest.FromStack(t, stack).Template
	templatetest.Must(t, func() {
		tmpl.HasResourceProperties(jsii.String("AWS::RDS::DBInstance"), map[string]any{
			"Tags": assertions.Match_ArrayWith(&[]any{map[string]any{"Key": "team", "Value": "platform"}}),
		})
		tmpl.HasResource(jsii.String("AWS::CloudFormation::WaitConditionHandle"), map[string]any{
			"DependsOn": assertions.Match_ArrayWith(&[]any{"DatabaseCredentials24F58BE6", "DatabaseInstanceAA8A5FDE"}),
		})
	})
	for typ, id := range map[string]string{
		"AWS::RDS::DBInstance": "DatabaseInstanceAA8A5FDE", "AWS::SecretsManager::Secret": "DatabaseCredentials24F58BE6",
		"AWS::EC2::SecurityGroup": "DatabaseSecurityGroup5C91FDCB", "AWS::RDS::DBParameterGroup": "DatabaseParametersB8AC9B07",
		"AWS::RDS::DBSubnetGroup": "DatabaseInstanceSubnetGroupDE121BB6",
	} {
		if _, ok := (*tmpl.FindResources(jsii.String(typ), nil))[id]; !ok {
			t.Errorf("no %s with logical ID %s", typ, id)
		}
	}
}

var (
	isolated = &awsec2.SubnetSelection{SubnetGroupName: jsii.String("Isolated")}
	private  = &awsec2.SubnetSelection{SubnetGroupName: jsii.String("Private")}
)

// newVpc returns a two-zone VPC with the subnet groups a database uses.
func newVpc(stack awscdk.Stack) awsec2.IVpc {
	return awsec2.NewVpc(stack, jsii.String("Vpc"), &awsec2.VpcProps{
		AvailabilityZones: jsii.Strings("us-east-1a", "us-east-1b"),
		NatGateways:       jsii.Number(1),
		SubnetConfiguration: &[]*awsec2.SubnetConfiguration{
			{Name: jsii.String("Public"), SubnetType: awsec2.SubnetType_PUBLIC},
			{Name: jsii.String("Private"), SubnetType: awsec2.SubnetType_PRIVATE_WITH_EGRESS},
			{Name: jsii.String("Isolated"), SubnetType: awsec2.SubnetType_PRIVATE_ISOLATED},
		},
	})
}

// placeholderVpc satisfies awsec2.IVpc for validation tests; calling any
// method panics, which would show that validation touched it.
type placeholderVpc struct{ awsec2.IVpc }
