// Package djangoweb provides the Django web service: gunicorn on Fargate
// behind an internet-facing Application Load Balancer, with rolling deploys
// that never drop capacity, a circuit breaker that rolls back, a health
// check on a dedicated path, and autoscaling on CPU and on requests.
//
// It builds on aws-ecs-patterns' ApplicationLoadBalancedFargateService and
// adds what a Django deployment needs on top: gunicorn settings that agree
// with the load balancer's timeouts, checked before anything is created.
package djangoweb

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapplicationautoscaling"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscertificatemanager"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecspatterns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awselasticloadbalancingv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/djangocdk/djangocdk/constructs/apptask"
	"github.com/djangocdk/djangocdk/constructs/internal/args"
	"github.com/djangocdk/djangocdk/constructs/internal/propserr"
)

// Gunicorn configures the WSGI server. The container receives each value
// as GUNICORN_<NAME> and all of them in GUNICORN_CMD_ARGS, which gunicorn
// reads by itself, so a plain "gunicorn app.wsgi" picks them up.
type Gunicorn struct {
	// Workers are processes per task. Default: 3.
	Workers int
	// Threads per worker (gthread). Default: 4.
	Threads int
	// TimeoutSeconds before a silent worker is killed. Default: 60.
	TimeoutSeconds int
	// KeepaliveSeconds an idle client connection stays open; longer than
	// the load balancer's idle timeout. Default: 75.
	KeepaliveSeconds int
	// GracefulTimeoutSeconds workers get to finish after SIGTERM. Default: 30.
	GracefulTimeoutSeconds int
}

// MaxOriginHeaderValues is how many values of the origin header the
// listener accepts at once (a rule's conditions take five values in all).
const MaxOriginHeaderValues = 3

// MaxHealthyPercent of the desired count may run during a rolling deploy:
// new tasks start before old ones stop, so capacity never drops.
const MaxHealthyPercent = 200

// Props configures a Service.
type Props struct {
	// Cluster to run in. Required.
	Cluster awsecs.ICluster
	// Task is the Django container (Image required; see apptask.Props for
	// the other fields' defaults). Default: Command
	// ["gunicorn", "config.wsgi:application"], Port 8000 and
	// StopTimeoutSeconds Gunicorn.GracefulTimeoutSeconds + 15.
	Task apptask.Props
	// Gunicorn settings. Default: see each field.
	Gunicorn Gunicorn
	// SecurityGroup of the tasks. Default: a new one.
	SecurityGroup awsec2.ISecurityGroup
	// TaskSubnets hold the tasks. Default: the private subnets with egress.
	TaskSubnets *awsec2.SubnetSelection
	// AssignPublicIp gives each task a public IP, for TaskSubnets that are
	// public subnets (a network without NAT); the tasks' security group
	// still admits only the load balancer. Default: false.
	AssignPublicIp bool
	// Spot runs the tasks on Fargate Spot (70% cheaper). An interruption
	// gives a task two minutes' warning: the load balancer drains it and
	// the service starts a replacement, so with one task the site is down
	// until it is healthy. For non-production. Default: false.
	Spot bool
	// MinTasks and MaxTasks bound autoscaling. Default: 2 and 4.
	MinTasks, MaxTasks int
	// RunCondition holds the service at zero tasks while false (before the
	// first image exists). Default: always run.
	RunCondition awscdk.CfnCondition
	// HealthCheckPath answers 200 when the app can serve. Default: "/healthz".
	HealthCheckPath string
	// HealthCheckGraceSeconds after a task starts before failed health
	// checks count (imports, connection pools). A pointer: 0 is a grace
	// period of none (the health checks count from the start).
	// Default: nil (60).
	HealthCheckGraceSeconds *int
	// RequestBudgetSeconds is the slowest legitimate request; the timeouts
	// are checked against it. Default: 30.
	RequestBudgetSeconds int
	// IdleTimeoutSeconds of the load balancer. Default: 65.
	IdleTimeoutSeconds int
	// DeregistrationDelaySeconds a leaving task keeps serving the requests
	// it has. Default: 30 (the target group's 300 makes deploys slow).
	DeregistrationDelaySeconds int
	// HealthCheck of the target group: how soon a new task takes traffic
	// and how long a busy one is tolerated. Default: see HealthCheck.
	HealthCheck HealthCheck
	// CertificateArn of an ACM certificate in the stack's region: HTTPS on
	// 443 and HTTP redirected to it. Default: "" (plain HTTP on 80).
	CertificateArn string
	// CpuTargetPercent is the CPU utilization autoscaling aims for. Default: 60.
	CpuTargetPercent int
	// RequestsPerTarget per minute that autoscaling aims for. Default: 1000.
	RequestsPerTarget int
	// AccessLogBucket receives the load balancer's access logs. Default: none.
	AccessLogBucket awss3.IBucket
	// OriginPrefixListID restricts the load balancer to one managed prefix
	// list, such as CloudFront's origin-facing list, on its one listener
	// (no HTTP redirect listener then). Default: "" (open to the internet).
	OriginPrefixListID string
	// OriginHeader, with OriginHeaderValues, makes the listener forward
	// only requests that carry this header with one of these values (a
	// secret the CDN adds; two while it is being rotated, at most
	// MaxOriginHeaderValues) and answer 403 to any other. Default: "" (no check).
	OriginHeader string
	// OriginHeaderValues are the values OriginHeader may have; set with it.
	// Default: none.
	OriginHeaderValues []*string
	// ExecuteCommand turns on ECS Exec (manage.py shell in a running task);
	// the cluster's exec configuration encrypts and logs the sessions.
	// Default: false.
	ExecuteCommand bool
	// DeletionProtection refuses to delete the load balancer (its DNS name
	// is what CloudFront and DNS records point at) until it is turned off.
	// Default: false.
	DeletionProtection bool
	// DeploymentAlarms roll a deployment back when they fire while it
	// runs. Default: nil (the circuit breaker only).
	DeploymentAlarms *DeploymentAlarms
}

// DeploymentAlarms watch a deployment's errors and latency.
type DeploymentAlarms struct {
	// NamePrefix starts the alarms' names (ECS refers to alarms by name). Required.
	NamePrefix string
	// Target5xxPerMinute is the count of 5xx responses from the tasks in a
	// minute above which a deployment fails. A pointer: 0 fails it on the
	// first 5xx. Default: nil (DefaultTarget5xxPerMinute).
	Target5xxPerMinute *float64
	// LatencyP95Seconds is the p95 response time that fails it. Default: 2.
	LatencyP95Seconds float64
}

// Service is the web service and its load balancer. It is a construct:
// the task ("Task"), the pattern's load balancer and service ("Service")
// and the deployment alarms are its children.
type Service struct {
	constructs.Construct
	pattern          awsecspatterns.ApplicationLoadBalancedFargateService
	task             *apptask.AppTask
	https            bool
	deploymentAlarms []awscloudwatch.Alarm
}

// New creates a Service under scope, or returns an error before creating
// anything: every invalid field of props (timeouts out of order included,
// and the task's, named as Props.Task fields), each on a line that starts
// with the construct's path ("Compute/Web: djangoweb.Props.Gunicorn.TimeoutSeconds ...").
func New(scope constructs.Construct, id string, props *Props) (*Service, error) {
	p := props.withDefaults()
	p.Task.Environment = args.Merged(p.Task.Environment, p.gunicornEnvironment())
	if err := propserr.At(scope, id, append(p.wiringProblems(), p.valueProblems()...)); err != nil {
		return nil, err
	}
	s := &Service{}
	constructs.NewConstruct_Override(s, scope, jsii.String(id))
	task, err := apptask.New(s, "Task", &p.Task)
	if err != nil {
		return nil, err
	}

	https := p.CertificateArn != ""
	patternProps := &awsecspatterns.ApplicationLoadBalancedFargateServiceProps{
		Cluster:                p.Cluster,
		TaskDefinition:         task.TaskDefinition(),
		TaskSubnets:            p.TaskSubnets,
		AssignPublicIp:         jsii.Bool(p.AssignPublicIp),
		PublicLoadBalancer:     jsii.Bool(true),
		OpenListener:           jsii.Bool(p.OriginPrefixListID == ""),
		IdleTimeout:            awscdk.Duration_Seconds(jsii.Number(p.IdleTimeoutSeconds)),
		DesiredCount:           apptask.DesiredGate(p.RunCondition),
		MinHealthyPercent:      jsii.Number(100), // never below the running capacity during a deploy
		MaxHealthyPercent:      jsii.Number(MaxHealthyPercent),
		CircuitBreaker:         &awsecs.DeploymentCircuitBreaker{Enable: jsii.Bool(true), Rollback: jsii.Bool(true)},
		HealthCheckGracePeriod: awscdk.Duration_Seconds(jsii.Number(*p.HealthCheckGraceSeconds)),
		TargetProtocol:         awselasticloadbalancingv2.ApplicationProtocol_HTTP,
		EnableExecuteCommand:   jsii.Bool(p.ExecuteCommand),
	}
	if p.SecurityGroup != nil {
		patternProps.SecurityGroups = &[]awsec2.ISecurityGroup{p.SecurityGroup}
	}
	if https {
		patternProps.Certificate = awscertificatemanager.Certificate_FromCertificateArn(s, jsii.String("Certificate"), jsii.String(p.CertificateArn))
		patternProps.Protocol = awselasticloadbalancingv2.ApplicationProtocol_HTTPS
		patternProps.RedirectHTTP = jsii.Bool(p.OriginPrefixListID == "")
		patternProps.SslPolicy = awselasticloadbalancingv2.SslPolicy_RECOMMENDED_TLS
	}
	if p.Spot {
		patternProps.CapacityProviderStrategies = apptask.CapacityStrategy(true)
	}
	pattern := awsecspatterns.NewApplicationLoadBalancedFargateService(s, jsii.String("Service"), patternProps)
	if p.Spot {
		apptask.DependOnCapacityProviders(pattern.Service(), p.Cluster)
	}

	pattern.LoadBalancer().SetAttribute(jsii.String("routing.http.drop_invalid_header_fields.enabled"), jsii.String("true"))
	if p.DeletionProtection {
		pattern.LoadBalancer().SetAttribute(jsii.String("deletion_protection.enabled"), jsii.String("true"))
	}
	if p.AccessLogBucket != nil {
		pattern.LoadBalancer().LogAccessLogs(p.AccessLogBucket, jsii.String("alb"))
	}
	if p.OriginPrefixListID != "" {
		port := 80
		if https {
			port = 443
		}
		pattern.LoadBalancer().Connections().AllowFrom(awsec2.Peer_PrefixList(jsii.String(p.OriginPrefixListID)),
			awsec2.Port_Tcp(jsii.Number(port)), jsii.String("Only the CDN reaches the load balancer"))
	}
	if p.OriginHeader != "" {
		listener := pattern.Listener()
		listener.AddAction(jsii.String("FromOrigin"), &awselasticloadbalancingv2.AddApplicationActionProps{
			Priority:   jsii.Number(1),
			Conditions: &[]awselasticloadbalancingv2.ListenerCondition{awselasticloadbalancingv2.ListenerCondition_HttpHeader(jsii.String(p.OriginHeader), &p.OriginHeaderValues)},
			Action:     awselasticloadbalancingv2.ListenerAction_Forward(&[]awselasticloadbalancingv2.IApplicationTargetGroup{pattern.TargetGroup()}, nil),
		})
		// Anything that did not come through the CDN. This replaces the
		// pattern's forward-everything default on purpose.
		listener.AddAction(jsii.String("Default"), &awselasticloadbalancingv2.AddApplicationActionProps{
			Action: awselasticloadbalancingv2.ListenerAction_FixedResponse(jsii.Number(403), &awselasticloadbalancingv2.FixedResponseOptions{
				ContentType: jsii.String("text/plain"), MessageBody: jsii.String("Forbidden"),
			}),
		})
		awscdk.Annotations_Of(listener).AcknowledgeWarning(jsii.String("@aws-cdk/aws-elbv2:listenerExistingDefaultActionReplaced"),
			jsii.String("requests without the origin header are refused"))
	}
	targets := pattern.TargetGroup()
	h := p.HealthCheck
	targets.ConfigureHealthCheck(&awselasticloadbalancingv2.HealthCheck{
		Path:                    jsii.String(p.HealthCheckPath),
		HealthyHttpCodes:        jsii.String("200"),
		Interval:                awscdk.Duration_Seconds(jsii.Number(h.IntervalSeconds)),
		Timeout:                 awscdk.Duration_Seconds(jsii.Number(h.TimeoutSeconds)),
		HealthyThresholdCount:   jsii.Number(h.HealthyThreshold),
		UnhealthyThresholdCount: jsii.Number(h.UnhealthyThreshold),
	})
	targets.SetAttribute(jsii.String("deregistration_delay.timeout_seconds"), jsii.String(strconv.Itoa(p.DeregistrationDelaySeconds)))

	var alarms []awscloudwatch.Alarm
	if d := p.DeploymentAlarms; d != nil {
		alarms = deploymentAlarms(s, targets, d)
		names := make([]*string, len(alarms))
		for i, a := range alarms {
			names[i] = a.AlarmName()
		}
		pattern.Service().EnableDeploymentAlarms(&names, &awsecs.DeploymentAlarmOptions{Behavior: awsecs.AlarmBehavior_ROLLBACK_ON_ALARM})
	}

	scaling := pattern.Service().AutoScaleTaskCount(&awsapplicationautoscaling.EnableScalingProps{
		MinCapacity: apptask.ScaleGate(p.RunCondition, p.MinTasks),
		MaxCapacity: apptask.ScaleGate(p.RunCondition, p.MaxTasks),
	})
	scaling.ScaleOnCpuUtilization(jsii.String("Cpu"), &awsecs.CpuUtilizationScalingProps{
		TargetUtilizationPercent: jsii.Number(p.CpuTargetPercent),
		ScaleInCooldown:          awscdk.Duration_Seconds(jsii.Number(300)),
		ScaleOutCooldown:         awscdk.Duration_Seconds(jsii.Number(60)),
	})
	scaling.ScaleOnRequestCount(jsii.String("Requests"), &awsecs.RequestCountScalingProps{
		RequestsPerTarget: jsii.Number(p.RequestsPerTarget),
		TargetGroup:       targets,
		ScaleInCooldown:   awscdk.Duration_Seconds(jsii.Number(300)),
		ScaleOutCooldown:  awscdk.Duration_Seconds(jsii.Number(60)),
	})
	s.pattern, s.task, s.https, s.deploymentAlarms = pattern, task, https, alarms
	return s, nil
}

// deploymentAlarms creates the alarms that roll a deployment back.
func deploymentAlarms(scope constructs.Construct, targets awselasticloadbalancingv2.ApplicationTargetGroup, d *DeploymentAlarms) []awscloudwatch.Alarm {
	minute := awscdk.Duration_Minutes(jsii.Number(1))
	errors := awscloudwatch.NewAlarm(scope, jsii.String("Deployment5xx"), &awscloudwatch.AlarmProps{
		AlarmName:        jsii.String(d.NamePrefix + "-deployment-5xx"),
		AlarmDescription: jsii.String("Rolls a web deployment back: the tasks answer with 5xx errors"),
		Metric: targets.Metrics().HttpCodeTarget(awselasticloadbalancingv2.HttpCodeTarget_TARGET_5XX_COUNT,
			&awscloudwatch.MetricOptions{Period: minute, Statistic: jsii.String("Sum")}),
		Threshold:          d.Target5xxPerMinute,
		EvaluationPeriods:  jsii.Number(2),
		ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD,
		TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
	})
	latency := awscloudwatch.NewAlarm(scope, jsii.String("DeploymentLatency"), &awscloudwatch.AlarmProps{
		AlarmName:          jsii.String(d.NamePrefix + "-deployment-latency"),
		AlarmDescription:   jsii.String("Rolls a web deployment back: p95 response time too high"),
		Metric:             targets.Metrics().TargetResponseTime(&awscloudwatch.MetricOptions{Period: minute, Statistic: jsii.String("p95")}),
		Threshold:          jsii.Number(d.LatencyP95Seconds),
		EvaluationPeriods:  jsii.Number(3),
		ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD,
		TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
	})
	return []awscloudwatch.Alarm{errors, latency}
}

// DeploymentAlarms returns the alarms that roll a deployment back (none
// unless Props.DeploymentAlarms is set).
func (s *Service) DeploymentAlarms() []awscloudwatch.Alarm { return s.deploymentAlarms }

// Service returns the ECS service.
func (s *Service) Service() awsecs.FargateService { return s.pattern.Service() }

// LoadBalancer returns the application load balancer.
func (s *Service) LoadBalancer() awselasticloadbalancingv2.ApplicationLoadBalancer {
	return s.pattern.LoadBalancer()
}

// Listener returns the listener that forwards to the service (HTTPS when
// a certificate is set, else HTTP).
func (s *Service) Listener() awselasticloadbalancingv2.ApplicationListener {
	return s.pattern.Listener()
}

// TargetGroup returns the service's target group.
func (s *Service) TargetGroup() awselasticloadbalancingv2.ApplicationTargetGroup {
	return s.pattern.TargetGroup()
}

// Task returns the task definition and its container.
func (s *Service) Task() *apptask.AppTask { return s.task }

// HTTPS reports whether the load balancer terminates TLS.
func (s *Service) HTTPS() bool { return s.https }

// URL is the service's address at the load balancer.
func (s *Service) URL() *string {
	scheme := "http://"
	if s.https {
		scheme = "https://"
	}
	return awscdk.Fn_Join(jsii.String(""), jsii.Strings(scheme, *s.pattern.LoadBalancer().LoadBalancerDnsName()))
}

// gunicornEnvironment returns the GUNICORN_* variables.
func (p *Props) gunicornEnvironment() map[string]string {
	g := p.Gunicorn
	return map[string]string{
		"GUNICORN_WORKERS":          strconv.Itoa(g.Workers),
		"GUNICORN_THREADS":          strconv.Itoa(g.Threads),
		"GUNICORN_TIMEOUT":          strconv.Itoa(g.TimeoutSeconds),
		"GUNICORN_KEEPALIVE":        strconv.Itoa(g.KeepaliveSeconds),
		"GUNICORN_GRACEFUL_TIMEOUT": strconv.Itoa(g.GracefulTimeoutSeconds),
		"GUNICORN_CMD_ARGS": strings.Join([]string{
			fmt.Sprintf("--bind=0.0.0.0:%d", p.Task.Port),
			fmt.Sprintf("--workers=%d", g.Workers),
			fmt.Sprintf("--threads=%d", g.Threads),
			"--worker-class=gthread",
			fmt.Sprintf("--timeout=%d", g.TimeoutSeconds),
			fmt.Sprintf("--keep-alive=%d", g.KeepaliveSeconds),
			fmt.Sprintf("--graceful-timeout=%d", g.GracefulTimeoutSeconds),
			"--access-logfile=-",
			"--forwarded-allow-ips=*", // the ALB is the only client; trust its X-Forwarded-*
		}, " "),
	}
}
