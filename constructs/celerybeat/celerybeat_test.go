package celerybeat

import (
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
	"github.com/aws/jsii-runtime-go"
	"github.com/djangocdk/djangocdk/constructs/apptask"
	tt "github.com/djangocdk/djangocdk/constructs/internal/templatetest"
)

type placeholderCluster struct{ awsecs.ICluster }

// placeholderImage satisfies awsecs.ContainerImage; validation never calls it.
type placeholderImage struct{ awsecs.ContainerImage }

func TestPropsDefaults(t *testing.T) {
	p := (&Props{Cluster: placeholderCluster{}}).withDefaults()
	if got := strings.Join(p.Task.Command, " "); got != "celery -A config.celery_app beat --loglevel=INFO --schedule=/tmp/celerybeat-schedule" || p.Task.Cpu != 256 || p.Task.MemoryMiB != 512 {
		t.Errorf("defaults %+v", p)
	}
}

func TestNewRejectsInvalidProps(t *testing.T) {
	image := apptask.Props{Image: placeholderImage{}}
	if _, err := New(nil, "Beat", &Props{Task: image}); err == nil || err.Error() != "Beat: celerybeat.Props.Cluster: required" {
		t.Errorf("error %v", err)
	}
	// A read-only root without /tmp leaves the schedule nowhere to go.
	_, err := New(nil, "Beat", &Props{Cluster: placeholderCluster{}, Task: apptask.Props{Image: placeholderImage{}, WritablePaths: []string{"/var/run/beat"}}})
	if err == nil || !strings.HasPrefix(err.Error(), `Beat: celerybeat.Props.Task.WritablePaths: ["/var/run/beat"] lacks /tmp`) {
		t.Errorf("error %v", err)
	}
	if problems := (&Props{Cluster: placeholderCluster{}, Task: apptask.Props{Image: placeholderImage{}, WritablePaths: []string{}, WritableRootFilesystem: true}}).withDefaults(); len(problems.problems()) != 0 {
		t.Errorf("writable root: %v", problems.problems())
	}
	// Every problem at once; the task's named as fields of these props.
	_, err = New(nil, "Beat", &Props{Task: apptask.Props{User: "root"}})
	want := "Beat: celerybeat.Props.Cluster: required\n" +
		"Beat: celerybeat.Props.Task.Image: required\n" +
		`Beat: celerybeat.Props.Task.User: "root" is root; the containers must run as an unprivileged user`
	if err == nil || err.Error() != want {
		t.Errorf("error:\n%v\nwant:\n%s", err, want)
	}
}

func TestDefaults(t *testing.T) {
	stack := tt.Stack(t)
	vpc := awsec2.NewVpc(stack, jsii.String("Vpc"), &awsec2.VpcProps{MaxAzs: jsii.Number(2), NatGateways: jsii.Number(1)})
	cluster := awsecs.NewCluster(stack, jsii.String("Cluster"), &awsecs.ClusterProps{Vpc: vpc})
	beat, err := New(stack, "Beat", &Props{
		Cluster: cluster,
		Task:    apptask.Props{Image: awsecs.ContainerImage_FromRegistry(jsii.String("example/shop:1"), nil)},
	})
	if err != nil {
		t.Fatal(err)
	}
	awscdk.Tags_Of(beat).Add(jsii.String("process"), jsii.String("beat"), nil)
	template := tt.FromStack(t, stack)
	// One scheduler, ever: stop the old task before starting the new one.
	template.HasResourceProperties("AWS::ECS::Service", map[string]any{
		"DesiredCount":  1,
		"LaunchType":    "FARGATE",
		"PropagateTags": tt.Absent(),
		"DeploymentConfiguration": map[string]any{
			"MinimumHealthyPercent":    0,
			"MaximumPercent":           100,
			"DeploymentCircuitBreaker": map[string]any{"Enable": true, "Rollback": true},
		},
		"Tags": []any{map[string]any{"Key": "process", "Value": "beat"}},
	})
	template.ResourceCountIs("AWS::ApplicationAutoScaling::ScalableTarget", 0)
	template.HasResourceProperties("AWS::ECS::TaskDefinition", map[string]any{
		"Cpu": "256", "Memory": "512",
		"ContainerDefinitions": []any{tt.Like(map[string]any{
			"Command":                []any{"celery", "-A", "config.celery_app", "beat", "--loglevel=INFO", "--schedule=/tmp/celerybeat-schedule"},
			"ReadonlyRootFilesystem": true,
			"MountPoints":            []any{tt.Like(map[string]any{"ContainerPath": "/tmp"})},
		})},
	})
}

// A RunCondition holds the service at zero tasks while it is false.
func TestRunCondition(t *testing.T) {
	stack := tt.Stack(t)
	vpc := awsec2.NewVpc(stack, jsii.String("Vpc"), &awsec2.VpcProps{MaxAzs: jsii.Number(2), NatGateways: jsii.Number(1)})
	cluster := awsecs.NewCluster(stack, jsii.String("Cluster"), &awsecs.ClusterProps{Vpc: vpc})
	pushed := awscdk.NewCfnCondition(stack, jsii.String("Pushed"), &awscdk.CfnConditionProps{
		Expression: awscdk.Fn_ConditionEquals(jsii.String("a"), jsii.String("a")),
	})
	if _, err := New(stack, "Beat", &Props{
		Cluster: cluster, RunCondition: pushed,
		Task: apptask.Props{Image: awsecs.ContainerImage_FromRegistry(jsii.String("example/shop:1"), nil)},
	}); err != nil {
		t.Fatal(err)
	}
	tt.FromStack(t, stack).HasResourceProperties("AWS::ECS::Service", map[string]any{
		"DesiredCount": map[string]any{"Fn::If": []any{"Pushed", 1, 0}},
	})
}

// Spot: the scheduler on Fargate Spot, after the cluster's capacity
// provider association, still one at a time; with a public IP when asked.
func TestSpotWithPublicIP(t *testing.T) {
	stack := tt.Stack(t)
	vpc := awsec2.NewVpc(stack, jsii.String("Vpc"), &awsec2.VpcProps{MaxAzs: jsii.Number(2), NatGateways: jsii.Number(0)})
	cluster := awsecs.NewCluster(stack, jsii.String("Cluster"), &awsecs.ClusterProps{Vpc: vpc, EnableFargateCapacityProviders: jsii.Bool(true)})
	if _, err := New(stack, "Beat", &Props{
		Cluster: cluster, Spot: true, AssignPublicIp: true, Subnets: &awsec2.SubnetSelection{SubnetType: awsec2.SubnetType_PUBLIC},
		Task: apptask.Props{Image: awsecs.ContainerImage_FromRegistry(jsii.String("example/shop:1"), nil)},
	}); err != nil {
		t.Fatal(err)
	}
	template := tt.FromStack(t, stack)
	association := template.ID("AWS::ECS::ClusterCapacityProviderAssociations")
	template.HasResource("AWS::ECS::Service", map[string]any{
		"Properties": map[string]any{
			"CapacityProviderStrategy": []any{map[string]any{"CapacityProvider": "FARGATE_SPOT", "Weight": 1}},
			"LaunchType":               tt.Absent(),
			"DeploymentConfiguration":  tt.Like(map[string]any{"MinimumHealthyPercent": 0, "MaximumPercent": 100}),
			"NetworkConfiguration":     map[string]any{"AwsvpcConfiguration": tt.Like(map[string]any{"AssignPublicIp": "ENABLED"})},
		},
		"DependsOn": tt.ArrayWith(association),
	})
}
