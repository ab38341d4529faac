package djangoweb

import (
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
	"github.com/aws/jsii-runtime-go"
	"github.com/djangocdk/djangocdk/constructs/apptask"
	tt "github.com/djangocdk/djangocdk/constructs/internal/templatetest"
)

const certificate = "arn:aws:acm:eu-west-1:123456789012:certificate/0f0e0d0c-0b0a-0908-0706-050403020100"

// newWeb synthesizes a web service with props edited by edit.
func newWeb(t *testing.T, edit func(*Props)) (*Service, *tt.Template) {
	t.Helper()
	stack := tt.Stack(t)
	vpc := awsec2.NewVpc(stack, jsii.String("Vpc"), &awsec2.VpcProps{MaxAzs: jsii.Number(2), NatGateways: jsii.Number(1)})
	cluster := awsecs.NewCluster(stack, jsii.String("Cluster"), &awsecs.ClusterProps{Vpc: vpc})
	props := Props{
		Cluster: cluster,
		Task:    apptask.Props{Image: awsecs.ContainerImage_FromRegistry(jsii.String("example/shop:1"), nil)},
	}
	if edit != nil {
		edit(&props)
	}
	web, err := New(stack, "Web", &props)
	if err != nil {
		t.Fatal(err)
	}
	awscdk.Tags_Of(web).Add(jsii.String("process"), jsii.String("web"), nil)
	return web, tt.FromStack(t, stack)
}

func TestDefaults(t *testing.T) {
	web, template := newWeb(t, nil)
	if web.HTTPS() || *web.Node().Path() != *awscdk.Stack_Of(web).Node().Path()+"/Web" {
		t.Errorf("https %v, path %s", web.HTTPS(), *web.Node().Path())
	}
	template.HasResourceProperties("AWS::ECS::Service", map[string]any{
		"HealthCheckGracePeriodSeconds": 60,
		"EnableExecuteCommand":          false,
		"DeploymentConfiguration": map[string]any{
			"MinimumHealthyPercent":    100,
			"MaximumPercent":           200,
			"DeploymentCircuitBreaker": map[string]any{"Enable": true, "Rollback": true},
			"Alarms":                   tt.Absent(),
		},
		"Tags": []any{map[string]any{"Key": "process", "Value": "web"}},
	})
	template.HasResourceProperties("AWS::ECS::TaskDefinition", map[string]any{
		"ContainerDefinitions": []any{tt.Like(map[string]any{
			"Command":      []any{"gunicorn", "config.wsgi:application"},
			"PortMappings": []any{tt.Like(map[string]any{"ContainerPort": 8000})},
			"StopTimeout":  45,
			"Environment":  tt.ArrayWith(map[string]any{"Name": "GUNICORN_TIMEOUT", "Value": "60"}),
		})},
	})
	template.HasResourceProperties("AWS::ElasticLoadBalancingV2::LoadBalancer", map[string]any{
		"Scheme": "internet-facing",
		"LoadBalancerAttributes": tt.ArrayWith(
			map[string]any{"Key": "idle_timeout.timeout_seconds", "Value": "65"},
			map[string]any{"Key": "routing.http.drop_invalid_header_fields.enabled", "Value": "true"},
		),
	})
	template.ResourceCountIs("AWS::ElasticLoadBalancingV2::Listener", 1)
	template.HasResourceProperties("AWS::ElasticLoadBalancingV2::Listener", map[string]any{"Port": 80, "Protocol": "HTTP"})
	template.HasResourceProperties("AWS::ElasticLoadBalancingV2::TargetGroup", map[string]any{
		"HealthCheckPath":            "/healthz",
		"HealthCheckIntervalSeconds": 5,
		"HealthCheckTimeoutSeconds":  4,
		"HealthyThresholdCount":      2,
		"UnhealthyThresholdCount":    6,
		"Matcher":                    map[string]any{"HttpCode": "200"},
		"TargetGroupAttributes":      tt.ArrayWith(map[string]any{"Key": "deregistration_delay.timeout_seconds", "Value": "30"}),
	})
	// Public: open to the internet on the listener's port.
	template.HasResourceProperties("AWS::EC2::SecurityGroup", map[string]any{
		"SecurityGroupIngress": []any{tt.Like(map[string]any{"CidrIp": "0.0.0.0/0", "FromPort": 80, "ToPort": 80})},
	})
	template.HasResourceProperties("AWS::ApplicationAutoScaling::ScalableTarget", map[string]any{"MinCapacity": 2, "MaxCapacity": 4})
	template.ResourceCountIs("AWS::ApplicationAutoScaling::ScalingPolicy", 2)
	template.ResourceCountIs("AWS::CloudWatch::Alarm", 0)
}

// An explicit 0 is no grace period, not the default.
func TestZeroHealthCheckGrace(t *testing.T) {
	zero := 0
	_, template := newWeb(t, func(p *Props) { p.HealthCheckGraceSeconds = &zero })
	template.HasResourceProperties("AWS::ECS::Service", map[string]any{"HealthCheckGracePeriodSeconds": 0})
}

func TestHTTPSListener(t *testing.T) {
	web, template := newWeb(t, func(p *Props) { p.CertificateArn = certificate })
	if !web.HTTPS() {
		t.Error("HTTPS() is false")
	}
	template.ResourceCountIs("AWS::ElasticLoadBalancingV2::Listener", 2)
	template.HasResourceProperties("AWS::ElasticLoadBalancingV2::Listener", map[string]any{
		"Port": 443, "Protocol": "HTTPS",
		"Certificates": []any{map[string]any{"CertificateArn": certificate}},
		"SslPolicy":    "ELBSecurityPolicy-TLS13-1-2-2021-06",
	})
	template.HasResourceProperties("AWS::ElasticLoadBalancingV2::Listener", map[string]any{
		"Port": 80, "Protocol": "HTTP",
		"DefaultActions": []any{tt.Like(map[string]any{
			"Type": "redirect", "RedirectConfig": tt.Like(map[string]any{"Port": "443", "Protocol": "HTTPS"}),
		})},
	})
}

func TestOriginHeader(t *testing.T) {
	_, template := newWeb(t, func(p *Props) {
		p.OriginHeader = "X-Origin-Verify"
		p.OriginHeaderValues = []*string{jsii.String("current"), jsii.String("previous")}
	})
	template.HasResourceProperties("AWS::ElasticLoadBalancingV2::ListenerRule", map[string]any{
		"Priority": 1,
		"Conditions": []any{map[string]any{
			"Field":            "http-header",
			"HttpHeaderConfig": map[string]any{"HttpHeaderName": "X-Origin-Verify", "Values": []any{"current", "previous"}},
		}},
		"Actions": []any{tt.Like(map[string]any{"Type": "forward"})},
	})
	template.HasResourceProperties("AWS::ElasticLoadBalancingV2::Listener", map[string]any{
		"DefaultActions": []any{map[string]any{
			"Type":                "fixed-response",
			"FixedResponseConfig": map[string]any{"StatusCode": "403", "ContentType": "text/plain", "MessageBody": "Forbidden"},
		}},
	})
}

func TestDeploymentAlarms(t *testing.T) {
	web, template := newWeb(t, func(p *Props) { p.DeploymentAlarms = &DeploymentAlarms{NamePrefix: "shop-web"} })
	if len(web.DeploymentAlarms()) != 2 {
		t.Errorf("%d alarms", len(web.DeploymentAlarms()))
	}
	template.HasResourceProperties("AWS::CloudWatch::Alarm", map[string]any{
		"AlarmName": "shop-web-deployment-5xx", "MetricName": "HTTPCode_Target_5XX_Count",
		"Threshold": 10, "EvaluationPeriods": 2, "Statistic": "Sum",
	})
	template.HasResourceProperties("AWS::CloudWatch::Alarm", map[string]any{
		"AlarmName": "shop-web-deployment-latency", "MetricName": "TargetResponseTime",
		"Threshold": 2, "EvaluationPeriods": 3, "ExtendedStatistic": "p95",
	})
	template.HasResourceProperties("AWS::ECS::Service", map[string]any{
		"DeploymentConfiguration": tt.Like(map[string]any{
			"Alarms": map[string]any{
				"Enable": true, "Rollback": true,
				"AlarmNames": []any{map[string]any{"Ref": tt.AnyValue()}, map[string]any{"Ref": tt.AnyValue()}},
			},
		}),
	})
}

// Behind a CDN: only the prefix list reaches the load balancer, and no
// redirect listener is left open to the internet.
func TestPrefixList(t *testing.T) {
	_, template := newWeb(t, func(p *Props) {
		p.CertificateArn = certificate
		p.OriginPrefixListID = "pl-4fa04526"
	})
	template.ResourceCountIs("AWS::ElasticLoadBalancingV2::Listener", 1)
	template.HasResourceProperties("AWS::EC2::SecurityGroupIngress", map[string]any{
		"SourcePrefixListId": "pl-4fa04526", "FromPort": 443, "ToPort": 443, "IpProtocol": "tcp",
	})
	for id, rule := range template.Resources("AWS::EC2::SecurityGroupIngress") {
		if props, _ := rule["Properties"].(map[string]any); props["CidrIp"] == "0.0.0.0/0" {
			t.Errorf("%s is open to the internet: %v", id, props)
		}
	}
	for id, sg := range template.Resources("AWS::EC2::SecurityGroup") {
		props, _ := sg["Properties"].(map[string]any)
		for _, rule := range asList(props["SecurityGroupIngress"]) {
			if r, _ := rule.(map[string]any); r["CidrIp"] == "0.0.0.0/0" {
				t.Errorf("%s is open to the internet: %v", id, r)
			}
		}
	}
}

func asList(v any) []any { l, _ := v.([]any); return l }

// Spot: the web tasks on Fargate Spot, after the cluster's capacity
// provider association; with public IPs when asked.
func TestSpotWithPublicIP(t *testing.T) {
	stack := tt.Stack(t)
	vpc := awsec2.NewVpc(stack, jsii.String("Vpc"), &awsec2.VpcProps{MaxAzs: jsii.Number(2), NatGateways: jsii.Number(0)})
	cluster := awsecs.NewCluster(stack, jsii.String("Cluster"), &awsecs.ClusterProps{Vpc: vpc, EnableFargateCapacityProviders: jsii.Bool(true)})
	if _, err := New(stack, "Web", &Props{
		Cluster: cluster, Spot: true, AssignPublicIp: true, TaskSubnets: &awsec2.SubnetSelection{SubnetType: awsec2.SubnetType_PUBLIC},
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
			"NetworkConfiguration":     map[string]any{"AwsvpcConfiguration": tt.Like(map[string]any{"AssignPublicIp": "ENABLED"})},
		},
		"DependsOn": tt.ArrayWith(association),
	})
}
