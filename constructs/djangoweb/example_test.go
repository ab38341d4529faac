package djangoweb_test

import (
	"fmt"
	"log"
	"sort"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecr"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
	"github.com/aws/jsii-runtime-go"
	"github.com/djangocdk/djangocdk/constructs/apptask"
	"github.com/djangocdk/djangocdk/constructs/djangoweb"
)

// Django behind HTTPS, two to six tasks, timeouts checked at synthesis.
func Example() {
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("Compute"), nil)
	vpc := awsec2.NewVpc(stack, jsii.String("Vpc"), nil)
	cluster := awsecs.NewCluster(stack, jsii.String("Cluster"), &awsecs.ClusterProps{Vpc: vpc})
	repository := awsecr.Repository_FromRepositoryName(stack, jsii.String("Repo"), jsii.String("shop"))

	web, err := djangoweb.New(stack, "Web", &djangoweb.Props{
		Cluster: cluster,
		Task: apptask.Props{
			Image:       awsecs.ContainerImage_FromEcrRepository(repository, jsii.String("3f2c1e9")),
			Environment: map[string]string{"DJANGO_SETTINGS_MODULE": "config.settings.production"},
		},
		Gunicorn:       djangoweb.Gunicorn{Workers: 3, Threads: 4},
		MinTasks:       2,
		MaxTasks:       6,
		CertificateArn: "arn:aws:acm:eu-west-1:123456789012:certificate/0f0e0d0c-0b0a-0908-0706-050403020100",
	})
	if err != nil {
		log.Fatal(err) // e.g. an ALB idle timeout shorter than gunicorn's timeout
	}
	fmt.Println("construct:", *web.Node().Path(), "https:", web.HTTPS())

	template := assertions.Template_FromStack(stack, nil)
	var listeners []string
	for _, l := range *template.FindResources(jsii.String("AWS::ElasticLoadBalancingV2::Listener"), nil) {
		props := (*l)["Properties"].(map[string]any)
		action := props["DefaultActions"].([]any)[0].(map[string]any)["Type"]
		listeners = append(listeners, fmt.Sprint(props["Protocol"], ":", props["Port"], " ", action))
	}
	sort.Strings(listeners)
	fmt.Println("AWS::ElasticLoadBalancingV2::Listener", strings.Join(listeners, ", "))
	for _, s := range *template.FindResources(jsii.String("AWS::ECS::Service"), nil) {
		props := (*s)["Properties"].(map[string]any)
		d := props["DeploymentConfiguration"].(map[string]any)
		fmt.Println("AWS::ECS::Service min healthy:", d["MinimumHealthyPercent"], "max:", d["MaximumPercent"],
			"rollback:", d["DeploymentCircuitBreaker"].(map[string]any)["Rollback"], "grace:", props["HealthCheckGracePeriodSeconds"])
	}
	for _, g := range *template.FindResources(jsii.String("AWS::ElasticLoadBalancingV2::TargetGroup"), nil) {
		props := (*g)["Properties"].(map[string]any)
		attributes := map[any]any{}
		for _, a := range props["TargetGroupAttributes"].([]any) {
			attributes[a.(map[string]any)["Key"]] = a.(map[string]any)["Value"]
		}
		fmt.Println("AWS::ElasticLoadBalancingV2::TargetGroup health check:", props["HealthCheckPath"],
			"deregistration delay:", attributes["deregistration_delay.timeout_seconds"])
	}
	for _, d := range *template.FindResources(jsii.String("AWS::ECS::TaskDefinition"), nil) {
		c := (*d)["Properties"].(map[string]any)["ContainerDefinitions"].([]any)[0].(map[string]any)
		for _, e := range c["Environment"].([]any) {
			if e.(map[string]any)["Name"] == "GUNICORN_CMD_ARGS" {
				fmt.Println("GUNICORN_CMD_ARGS:", e.(map[string]any)["Value"])
			}
		}
	}
	for _, s := range *template.FindResources(jsii.String("AWS::ApplicationAutoScaling::ScalableTarget"), nil) {
		props := (*s)["Properties"].(map[string]any)
		fmt.Println("AWS::ApplicationAutoScaling::ScalableTarget", props["MinCapacity"], "to", props["MaxCapacity"])
	}
	// Output:
	// construct: Compute/Web https: true
	// AWS::ElasticLoadBalancingV2::Listener HTTP:80 redirect, HTTPS:443 forward
	// AWS::ECS::Service min healthy: 100 max: 200 rollback: true grace: 60
	// AWS::ElasticLoadBalancingV2::TargetGroup health check: /healthz deregistration delay: 30
	// GUNICORN_CMD_ARGS: --bind=0.0.0.0:8000 --workers=3 --threads=4 --worker-class=gthread --timeout=60 --keep-alive=75 --graceful-timeout=30 --access-logfile=- --forwarded-allow-ips=*
	// AWS::ApplicationAutoScaling::ScalableTarget 2 to 6
}

// Timeouts out of order are refused before anything is created, each
// broken rule on its own line with the construct's path and the fields.
func Example_timeoutsOutOfOrder() {
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("Compute"), nil)
	cluster := awsecs.NewCluster(stack, jsii.String("Cluster"), nil)
	_, err := djangoweb.New(stack, "Web", &djangoweb.Props{
		Cluster:            cluster,
		Task:               apptask.Props{Image: awsecs.ContainerImage_FromRegistry(jsii.String("shop:1"), nil)},
		IdleTimeoutSeconds: 60, // not above gunicorn's 60 s timeout
		Gunicorn:           djangoweb.Gunicorn{KeepaliveSeconds: 30},
	})
	fmt.Println(err)
	// Output:
	// Compute/Web: djangoweb.Props.IdleTimeoutSeconds: 60 s must be greater than Gunicorn.TimeoutSeconds (60 s): otherwise the load balancer gives up on responses gunicorn is still producing (504s)
	// Compute/Web: djangoweb.Props.Gunicorn.KeepaliveSeconds: 30 s must be greater than IdleTimeoutSeconds (60 s): otherwise gunicorn closes connections the load balancer still reuses (sporadic 502s)
}
