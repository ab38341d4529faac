package database

import (
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/jsii-runtime-go"
)

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
		{"no vpc", func(p *Props) { p.Vpc = nil }, "database.Props.Vpc: required"},
		{"no subnets", func(p *Props) { p.Subnets = nil }, "database.Props.Subnets: required"},
		{"identifier", func(p *Props) { p.InstanceIdentifier = "App_Dev" }, `database.Props.InstanceIdentifier: "App_Dev" is not an RDS identifier`},
		{"class", func(p *Props) { p.InstanceClass = "r6g.large" }, `database.Props.InstanceClass: "r6g.large" is not an RDS instance class`},
		{"storage", func(p *Props) { p.AllocatedStorageGiB = 10 }, `database.Props.AllocatedStorageGiB: 10 is outside gp3's 20 to 65536`},
		{"max storage", func(p *Props) { p.AllocatedStorageGiB = 50; p.MaxAllocatedStorageGiB = 40 }, `database.Props.MaxAllocatedStorageGiB: 40 is not between AllocatedStorageGiB (50) and 65536`},
		{"backups", func(p *Props) { p.BackupRetentionDays = 36 }, `database.Props.BackupRetentionDays: 36 is outside 1 to 35`},
		{"rotation without subnets", func(p *Props) { p.RotationDays = 30 }, `database.Props.RotationSubnets: required when RotationDays is set`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := valid()
			c.edit(&p)
			_, err := New(nil, "Database", &p)
			if err == nil || !strings.HasPrefix(err.Error(), c.want) {
				t.Errorf("error %v, want %s...", err, c.want)
			}
		})
	}
	p := valid()
	if _, err := p.withDefaults(); err != nil {
		t.Errorf("valid props rejected: %v", err)
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

// placeholderVpc satisfies awsec2.IVpc for validation tests; calling any
// method panics, which would show that validation touched it.
type placeholderVpc struct{ awsec2.IVpc }
