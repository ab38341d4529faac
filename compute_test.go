package main

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/djangocdk/djangocdk/stacks"
)

const testCertificate = "arn:aws:acm:us-east-1:222222222222:certificate/0f0e0d0c-0b0a-0908-0706-050403020100"

// computeVariant is staging with a public load balancer with an ACM
// certificate. It is dataVariant too: one synthesis fewer keeps go test
// fast, and neither's settings touch what the other's tests read.
func computeVariant(t *testing.T) *synthesized { return dataVariant(t) }

// byPrefix returns the one resource of type typ whose logical ID starts with prefix.
func byPrefix(t *testing.T, tmpl map[string]any, typ, prefix string) map[string]any {
	t.Helper()
	var found []map[string]any
	for id, r := range resources(tmpl, typ) {
		if strings.HasPrefix(id, prefix) {
			found = append(found, r)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d resources of type %s named %s*, want 1", len(found), typ, prefix)
	}
	return found[0]
}

// container returns the Django container of the task definition named prefix*.
func container(t *testing.T, tmpl map[string]any, prefix string) map[string]any {
	t.Helper()
	for _, c := range asList(props(byPrefix(t, tmpl, "AWS::ECS::TaskDefinition", prefix))["ContainerDefinitions"]) {
		if c["Name"] == "django" {
			return c
		}
	}
	t.Fatalf("%s has no django container", prefix)
	return nil
}

// containerNames returns the names of the containers of the task definition named prefix*.
func containerNames(t *testing.T, tmpl map[string]any, prefix string) []string {
	t.Helper()
	var names []string
	for _, c := range asList(props(byPrefix(t, tmpl, "AWS::ECS::TaskDefinition", prefix))["ContainerDefinitions"]) {
		names = append(names, c["Name"].(string))
	}
	return names
}

func TestRegistry(t *testing.T) {
	for _, env := range environments {
		t.Run(env, func(t *testing.T) {
			tmpl := synth(t, env).template(t, stacks.RegistryLayer)
			_, repo := only(t, tmpl, "AWS::ECR::Repository")
			p := props(repo)
			// Immutable tags, but for the build's layer cache.
			if p["ImageTagMutability"] != "IMMUTABLE_WITH_EXCLUSION" || jsonOf(p["ImageScanningConfiguration"]) != `{"ScanOnPush":true}` ||
				jsonOf(p["ImageTagMutabilityExclusionFilters"]) != `[{"ImageTagMutabilityExclusionFilterType":"WILDCARD","ImageTagMutabilityExclusionFilterValue":"buildcache"}]` {
				t.Errorf("repository %v, want immutable tags (but the build cache) and scan on push", p)
			}
			if _, ok := p["RepositoryPolicyText"]; ok {
				t.Errorf("the repository has a resource policy; only the execution roles may pull")
			}
			// In priority order: untagged, then the last releases (kept:
			// later rules never expire an image that matches their tags),
			// then the build cache (kept), then the builds never released.
			keep := map[string]float64{"dev": 10, "staging": 10, "production": 30}[env]
			want := []string{
				`{"action":{"type":"expire"},"selection":{"countNumber":1,"countType":"sinceImagePushed","countUnit":"days","tagStatus":"untagged"}}`,
				fmt.Sprintf(`{"action":{"type":"expire"},"selection":{"countNumber":%v,"countType":"imageCountMoreThan","tagPatternList":["release-*"],"tagStatus":"tagged"}}`, keep),
				`{"action":{"type":"expire"},"selection":{"countNumber":1,"countType":"imageCountMoreThan","tagPatternList":["buildcache"],"tagStatus":"tagged"}}`,
				`{"action":{"type":"expire"},"selection":{"countNumber":14,"countType":"sinceImagePushed","countUnit":"days","tagStatus":"any"}}`,
			}
			var policy struct{ Rules []map[string]any }
			if err := json.Unmarshal([]byte(p["LifecyclePolicy"].(map[string]any)["LifecyclePolicyText"].(string)), &policy); err != nil {
				t.Fatalf("lifecycle policy: %v", err)
			}
			if len(policy.Rules) != len(want) {
				t.Fatalf("lifecycle policy has %d rules, want %d: %v", len(policy.Rules), len(want), policy.Rules)
			}
			for i, rule := range policy.Rules {
				if rule["rulePriority"] != float64(i+1) {
					t.Errorf("rule %d has priority %v, want %d", i, rule["rulePriority"], i+1)
				}
				delete(rule, "rulePriority")
				delete(rule, "description")
				if got := jsonOf(rule); got != want[i] {
					t.Errorf("rule %d:\n got %s\nwant %s", i+1, got, want[i])
				}
			}
			wantPolicy := map[bool]string{true: "Delete", false: "Retain"}[env == "dev"]
			if repo["DeletionPolicy"] != wantPolicy {
				t.Errorf("DeletionPolicy %v, want %s", repo["DeletionPolicy"], wantPolicy)
			}
			// The tag parameter is created once by an SDK call, never by an
			// AWS::SSM::Parameter, whose provider writes the template's value
			// on any update and would set the services back to no image.
			for _, param := range resources(tmpl, "AWS::SSM::Parameter") {
				if props(param)["Name"] == named("/{project}/")+env+"/image-tag" {
					t.Errorf("the image tag is an AWS::SSM::Parameter: CloudFormation would be its second writer")
				}
			}
			_, tag := only(t, tmpl, "Custom::ImageTagParameter")
			create := props(tag)["Create"].(string)
			for _, want := range []string{`"action":"putParameter"`, named(`"Name":"/{project}/`) + env + `/image-tag"`, `"Value":"none"`,
				`"Overwrite":false`, `"ignoreErrorCodesMatching":"ParameterAlreadyExists"`} {
				if !strings.Contains(create, want) {
					t.Errorf("the tag parameter's create call lacks %s: %s", want, create)
				}
			}
			if update, ok := props(tag)["Update"]; ok {
				t.Errorf("the tag parameter is written on update: %v", update)
			}
			if _, deletes := props(tag)["Delete"]; deletes != (env == "dev") {
				t.Errorf("the tag parameter is deleted with the stack: %v (only where removalPolicy is destroy)", deletes)
			}
		})
	}
}

func TestImageTagOwnedBySSM(t *testing.T) {
	for _, env := range environments {
		tmpl := synth(t, env).template(t, stacks.ComputeLayer)
		var tagParam string
		for name, p := range tmpl["Parameters"].(map[string]any) {
			p := p.(map[string]any)
			if p["Type"] == "AWS::SSM::Parameter::Value<String>" && p["Default"] == named("/{project}/")+env+"/image-tag" {
				tagParam = name
			}
		}
		if tagParam == "" {
			t.Fatalf(named("%s: the image tag is not read from /{project}/%s/image-tag at deploy time"), env, env)
		}
		image := jsonOf(container(t, tmpl, "WebTask")["Image"])
		if !strings.Contains(image, `{"Ref":"`+tagParam+`"}`) {
			t.Errorf("%s: the web image %s does not use the tag parameter", env, image)
		}
		cond := jsonOf(tmpl["Conditions"].(map[string]any)["ImagePushed"])
		if cond != `{"Fn::Not":[{"Fn::Equals":[{"Ref":"`+tagParam+`"},"none"]}]}` {
			t.Errorf("%s: ImagePushed is %s", env, cond)
		}
		rule := jsonOf(tmpl["Rules"].(map[string]any)["ImageTagIsACommit"])
		if !strings.Contains(rule, `{"Fn::Not":[{"Fn::Equals":[{"Ref":"`+tagParam+`"},"latest"]}]}`) {
			t.Errorf("%s: no rule rejects the tag latest: %s", env, rule)
		}
	}
}

func TestWebService(t *testing.T) {
	want := map[string]struct {
		cpu, memory string
		min, max    float64
	}{
		"dev":        {"256", "512", 1, 2},
		"staging":    {"512", "1024", 1, 2}, // 2: the connection budget of db.t4g.micro during a deploy
		"production": {"1024", "2048", 2, 8},
	}
	for _, env := range environments {
		t.Run(env, func(t *testing.T) {
			w := want[env]
			tmpl := synth(t, env).template(t, stacks.ComputeLayer)
			def := props(byPrefix(t, tmpl, "AWS::ECS::TaskDefinition", "WebTask"))
			if def["Cpu"] != w.cpu || def["Memory"] != w.memory || jsonOf(def["RuntimePlatform"]) != `{"CpuArchitecture":"ARM64","OperatingSystemFamily":"LINUX"}` {
				t.Errorf("web task %v %v %v", def["Cpu"], def["Memory"], def["RuntimePlatform"])
			}
			c := container(t, tmpl, "WebTask")
			if jsonOf(c["PortMappings"]) != `[{"ContainerPort":8000,"Protocol":"tcp"}]` || c["StopTimeout"] != 45.0 {
				t.Errorf("web container ports %v, stop timeout %v", c["PortMappings"], c["StopTimeout"])
			}
			if cmd := jsonOf(c["Command"]); cmd != `["gunicorn","config.wsgi:application"]` {
				t.Errorf("web command %s", cmd)
			}

			svc := props(byPrefix(t, tmpl, "AWS::ECS::Service", "WebService"))
			deployment := `"DeploymentCircuitBreaker":{"Enable":true,"Rollback":true},"MaximumPercent":200,"MinimumHealthyPercent":100}`
			if env == "production" { // the deployment alarms roll a bad deployment back too
				deployment = `{"Alarms":{"AlarmNames":[{"Ref":"WebDeployment5xx5EBB066B"},{"Ref":"WebDeploymentLatency76E0A633"}],"Enable":true,"Rollback":true},` + deployment
			} else {
				deployment = "{" + deployment
			}
			if d := jsonOf(svc["DeploymentConfiguration"]); d != deployment {
				t.Errorf("web deployment %s, want %s", d, deployment)
			}
			if svc["HealthCheckGracePeriodSeconds"] != 60.0 {
				t.Errorf("grace period %v", svc["HealthCheckGracePeriodSeconds"])
			}
			zones := len(synth(t, env).cfg.AvailabilityZones)
			if net := jsonOf(svc["NetworkConfiguration"]); strings.Count(net, "PrivateSubnet") != zones || !strings.Contains(net, `"AssignPublicIp":"DISABLED"`) {
				t.Errorf("web tasks are not in the %d private subnets: %s", zones, net)
			}

			lb := props(byPrefix(t, tmpl, "AWS::ElasticLoadBalancingV2::LoadBalancer", "WebService"))
			attrs := jsonOf(lb["LoadBalancerAttributes"])
			if lb["Scheme"] != "internet-facing" || strings.Count(jsonOf(lb["Subnets"]), "PublicSubnet") != zones ||
				!strings.Contains(attrs, `{"Key":"idle_timeout.timeout_seconds","Value":"65"}`) ||
				!strings.Contains(attrs, `{"Key":"access_logs.s3.enabled","Value":"true"}`) {
				t.Errorf("load balancer %v", lb)
			}
			tg := props(byPrefix(t, tmpl, "AWS::ElasticLoadBalancingV2::TargetGroup", "WebService"))
			if tg["HealthCheckPath"] != "/healthz" || jsonOf(tg["Matcher"]) != `{"HttpCode":"200"}` ||
				!strings.Contains(jsonOf(tg["TargetGroupAttributes"]), `{"Key":"deregistration_delay.timeout_seconds","Value":"30"}`) {
				t.Errorf("target group %v", tg)
			}
			// Dev (plainHttpOrigin): plain HTTP on 80. Elsewhere CloudFront
			// reaches the load balancer over TLS: HTTPS on 443 with the certificate.
			_, listener := only(t, tmpl, "AWS::ElasticLoadBalancingV2::Listener")
			wantPort, wantProtocol := 443.0, "HTTPS"
			if env == "dev" {
				wantPort, wantProtocol = 80.0, "HTTP"
			}
			if p := props(listener); p["Port"] != wantPort || p["Protocol"] != wantProtocol ||
				(env != "dev" && !strings.Contains(jsonOf(p["Certificates"]), ":certificate/")) {
				t.Errorf("listener %v, want %s on %v", p, wantProtocol, wantPort)
			}

			target := props(byPrefix(t, tmpl, "AWS::ApplicationAutoScaling::ScalableTarget", "WebService"))
			if jsonOf(target["MinCapacity"]) != fmt.Sprintf(`{"Fn::If":["ImagePushed",%v,0]}`, w.min) ||
				jsonOf(target["MaxCapacity"]) != fmt.Sprintf(`{"Fn::If":["ImagePushed",%v,0]}`, w.max) {
				t.Errorf("web scaling bounds %v %v", target["MinCapacity"], target["MaxCapacity"])
			}
			if jsonOf(svc["DesiredCount"]) != `{"Fn::If":["ImagePushed",{"Ref":"AWS::NoValue"},0]}` {
				t.Errorf("web desired count %v: must be 0 before the first image and left to autoscaling after", svc["DesiredCount"])
			}
			policies := ""
			for id, p := range resources(tmpl, "AWS::ApplicationAutoScaling::ScalingPolicy") {
				if strings.HasPrefix(id, "WebService") {
					policies += jsonOf(props(p)["TargetTrackingScalingPolicyConfiguration"])
				}
			}
			if !strings.Contains(policies, `"PredefinedMetricType":"ECSServiceAverageCPUUtilization"},"ScaleInCooldown":300,"ScaleOutCooldown":60,"TargetValue":60`) ||
				!strings.Contains(policies, `"PredefinedMetricType":"ALBRequestCountPerTarget"`) {
				t.Errorf("web scaling policies %s", policies)
			}
		})
	}
}

func TestWebServiceHTTPS(t *testing.T) {
	tmpl := computeVariant(t).template(t, stacks.ComputeLayer)
	listeners := map[float64]map[string]any{}
	for _, l := range resources(tmpl, "AWS::ElasticLoadBalancingV2::Listener") {
		listeners[props(l)["Port"].(float64)] = props(l)
	}
	https, http := listeners[443], listeners[80]
	if https == nil || https["Protocol"] != "HTTPS" || !strings.Contains(jsonOf(https["Certificates"]), "certificate/0f0e0d0c") ||
		https["SslPolicy"] != "ELBSecurityPolicy-TLS13-1-2-2021-06" {
		t.Errorf("HTTPS listener %v", https)
	}
	if http == nil || !strings.Contains(jsonOf(http["DefaultActions"]), `"RedirectConfig":{"Port":"443","Protocol":"HTTPS","StatusCode":"HTTP_301"}`) {
		t.Errorf("HTTP listener does not redirect to HTTPS: %v", http)
	}
}

func TestWorkers(t *testing.T) {
	for _, env := range environments {
		t.Run(env, func(t *testing.T) {
			tmpl := synth(t, env).template(t, stacks.ComputeLayer)
			svc := props(byPrefix(t, tmpl, "AWS::ECS::Service", "Workercelery"))
			if len(asSlice(svc["LoadBalancers"])) != 0 {
				t.Errorf("workers sit behind a load balancer")
			}
			capacity := map[bool]string{true: "FARGATE_SPOT", false: "FARGATE"}[env != "production"]
			if got := jsonOf(svc["CapacityProviderStrategy"]); got != `[{"CapacityProvider":"`+capacity+`","Weight":1}]` {
				t.Errorf("capacity %s, want %s", got, capacity)
			}
			c := container(t, tmpl, "WorkerceleryTask")
			if c["StopTimeout"] != 120.0 {
				t.Errorf("stop timeout %v, want 120 for Celery's warm shutdown", c["StopTimeout"])
			}
			if cmd := jsonOf(c["Command"]); cmd != `["celery","-A","config.celery_app","worker","--loglevel=INFO","--queues=celery","--concurrency=4","--hostname=celery@%h"]` {
				t.Errorf("worker command %s", cmd)
			}
			var backlog, cpu string
			var steps []string
			for id, p := range resources(tmpl, "AWS::ApplicationAutoScaling::ScalingPolicy") {
				if !strings.HasPrefix(id, "Workercelery") {
					continue
				}
				if step, ok := props(p)["StepScalingPolicyConfiguration"]; ok {
					steps = append(steps, id+" "+jsonOf(step))
					continue
				}
				config := jsonOf(props(p)["TargetTrackingScalingPolicyConfiguration"])
				if strings.Contains(config, "BacklogPerTask") {
					backlog = config
				} else {
					cpu = config
				}
			}
			// Dev's queue scales to zero (minTasks 0): a floor of 0, a
			// wake-up and an idle step policy, each with its alarm on the
			// queue metrics function's data. The others keep their floor.
			target := byPrefix(t, tmpl, "AWS::ApplicationAutoScaling::ScalableTarget", "Workercelery")
			floor := map[string]float64{"dev": 0, "staging": 1, "production": 2}[env]
			if got := props(target)["MinCapacity"].(map[string]any)["Fn::If"].([]any)[1]; got != floor {
				t.Errorf("worker floor %v, want %v", got, floor)
			}
			sort.Strings(steps)
			alarms := jsonOf(resources(tmpl, "AWS::CloudWatch::Alarm"))
			if env == "dev" {
				if len(steps) != 2 || !strings.Contains(steps[0], "WorkerceleryIdle") || !strings.Contains(steps[0], `"StepAdjustments":[{"MetricIntervalUpperBound":0,"ScalingAdjustment":0}]`) ||
					!strings.Contains(steps[1], "WorkerceleryWakeUp") || !strings.Contains(steps[1], `"StepAdjustments":[{"MetricIntervalLowerBound":0,"ScalingAdjustment":1}]`) ||
					!strings.Contains(steps[1], `"AdjustmentType":"ExactCapacity"`) {
					t.Errorf("scale-to-zero policies %v", steps)
				}
				for _, want := range []string{`"Expression":"IF(depth \u003e 0 AND tasks == 0, 1, 0)"`, `"MetricName":"RunningTasks"`,
					`"EvaluationPeriods":15`, `"MetricName":"QueueDepth"`} {
					if !strings.Contains(alarms, want) {
						t.Errorf("the scale-to-zero alarms lack %s: %s", want, alarms)
					}
				}
			} else if len(steps) != 0 {
				t.Errorf("%s scales to zero: %v", env, steps)
			}
			if !strings.Contains(backlog, `"MetricName":"BacklogPerTask","Namespace":"Celery","Statistic":"Average"`) ||
				!strings.Contains(backlog, `{"Name":"Queue","Value":"celery"}`) || !strings.Contains(backlog, `"TargetValue":8`) {
				t.Errorf("workers do not scale on the queue's backlog per task: %s", backlog)
			}
			if !strings.Contains(cpu, `"PredefinedMetricType":"ECSServiceAverageCPUUtilization"`) || !strings.Contains(cpu, `"TargetValue":70`) {
				t.Errorf("workers do not scale on CPU: %s", cpu)
			}
		})
	}
}

func TestQueueMetricsFunction(t *testing.T) {
	tmpl := synth(t, "production").template(t, stacks.ComputeLayer)
	_, fn := only(t, tmpl, "AWS::Lambda::Function")
	p := props(fn)
	env := jsonOf(p["Environment"])
	if p["Runtime"] != "provided.al2023" || jsonOf(p["Architectures"]) != `["arm64"]` || p["Handler"] != "bootstrap" ||
		!strings.Contains(env, `\"queue\":\"celery\"`) || !strings.Contains(env, "WorkerceleryService") ||
		!strings.Contains(env, `"METRIC_NAMESPACE":"Celery"`) || !strings.Contains(env, "CacheAuthToken") {
		t.Errorf("queue metrics function %v", p)
	}
	if strings.Count(jsonOf(p["VpcConfig"]), "PrivateSubnet") != 3 {
		t.Errorf("the function is not in the private subnets: %v", p["VpcConfig"])
	}
	_, rule := only(t, tmpl, "AWS::Events::Rule")
	if props(rule)["ScheduleExpression"] != "rate(1 minute)" {
		t.Errorf("schedule %v", props(rule)["ScheduleExpression"])
	}
}

func TestBeat(t *testing.T) {
	for _, env := range environments {
		tmpl := synth(t, env).template(t, stacks.ComputeLayer)
		svc := props(byPrefix(t, tmpl, "AWS::ECS::Service", "BeatService"))
		if jsonOf(svc["DesiredCount"]) != `{"Fn::If":["ImagePushed",1,0]}` {
			t.Errorf("%s: beat desired count %v, want 1 (0 before the first image)", env, svc["DesiredCount"])
		}
		if d := jsonOf(svc["DeploymentConfiguration"]); !strings.Contains(d, `"MaximumPercent":100,"MinimumHealthyPercent":0`) {
			t.Errorf("%s: beat deployment %s would run two schedulers", env, d)
		}
		for id, target := range resources(tmpl, "AWS::ApplicationAutoScaling::ScalableTarget") {
			if strings.Contains(jsonOf(props(target)["ResourceId"]), "BeatService") {
				t.Errorf("%s: beat is autoscaled by %s", env, id)
			}
		}
		if cmd := jsonOf(container(t, tmpl, "BeatTask")["Command"]); cmd != `["celery","-A","config.celery_app","beat","--loglevel=INFO","--schedule=/tmp/celerybeat-schedule"]` {
			t.Errorf("%s: beat command %s", env, cmd)
		}
	}
}

func TestMigrationTask(t *testing.T) {
	for _, env := range environments {
		tmpl := synth(t, env).template(t, stacks.ComputeLayer)
		def := byPrefix(t, tmpl, "AWS::ECS::TaskDefinition", "MigrationTask")
		family := named("{project}-") + env + "-migrate"
		if props(def)["Family"] != family {
			t.Errorf("%s: migration family %v", env, props(def)["Family"])
		}
		if cmd := jsonOf(container(t, tmpl, "MigrationTask")["Command"]); cmd != `["python","manage.py","migrate","--noinput"]` {
			t.Errorf("%s: migration command %s", env, cmd)
		}
		// Run by no service, and no service command migrates.
		for id, svc := range resources(tmpl, "AWS::ECS::Service") {
			if strings.Contains(jsonOf(props(svc)["TaskDefinition"]), "MigrationTask") {
				t.Errorf("%s: service %s runs the migration task", env, id)
			}
		}
		for id, d := range resources(tmpl, "AWS::ECS::TaskDefinition") {
			if !strings.HasPrefix(id, "MigrationTask") && strings.Contains(jsonOf(props(d)["ContainerDefinitions"]), "migrate") {
				t.Errorf("%s: %s runs migrations", env, id)
			}
		}
		if _, ok := tmpl["Outputs"].(map[string]any)["MigrateCommand"]; ok {
			t.Errorf("%s: a MigrateCommand output runs the task definition CloudFormation registered, whose image is not the release's", env)
		}
	}
}

// TestStaticFilesTask checks the one-off collectstatic task: run by no
// service, and the only role that may write the static bucket.
func TestStaticFilesTask(t *testing.T) {
	for _, env := range environments {
		tmpl := synth(t, env).template(t, stacks.ComputeLayer)
		def := byPrefix(t, tmpl, "AWS::ECS::TaskDefinition", "StaticFilesTask")
		if props(def)["Family"] != named("{project}-")+env+"-static" {
			t.Errorf("%s: static family %v", env, props(def)["Family"])
		}
		if cmd := jsonOf(container(t, tmpl, "StaticFilesTask")["Command"]); cmd != `["python","manage.py","collectstatic","--noinput"]` {
			t.Errorf("%s: static command %s", env, cmd)
		}
		if role := jsonOf(props(def)["TaskRoleArn"]); !strings.Contains(role, "StaticFilesTaskRole") {
			t.Errorf("%s: the static task runs with %s, want its own role", env, role)
		}
		for id, svc := range resources(tmpl, "AWS::ECS::Service") {
			if strings.Contains(jsonOf(props(svc)["TaskDefinition"]), "StaticFiles") {
				t.Errorf("%s: service %s runs the collectstatic task", env, id)
			}
		}
		// Only the static task's role may put objects in the static bucket.
		for id, policy := range resources(tmpl, "AWS::IAM::Policy") {
			writes := false
			for _, statement := range asList(props(policy)["PolicyDocument"].(map[string]any)["Statement"]) {
				s := jsonOf(statement)
				writes = writes || strings.Contains(s, `"s3:PutObject"`) && strings.Contains(s, "DJANGOAWSSTATICBUCKETNAME")
			}
			if writes != strings.HasPrefix(id, "StaticFilesTaskRole") {
				t.Errorf("%s: policy %s writes the static bucket: %v", env, id, writes)
			}
		}
	}
}

func TestRoles(t *testing.T) {
	tmpl := synth(t, "staging").template(t, stacks.ComputeLayer)
	policies := map[string]string{}
	for id, p := range resources(tmpl, "AWS::IAM::Policy") {
		policies[id] = jsonOf(props(p))
	}
	for id, def := range resources(tmpl, "AWS::ECS::TaskDefinition") {
		p := props(def)
		task, exec := jsonOf(p["TaskRoleArn"]), jsonOf(p["ExecutionRoleArn"])
		own := "AppTaskRole"
		if strings.HasPrefix(id, "StaticFiles") {
			own = "StaticFilesTaskRole" // the one writer of the static bucket
		}
		if !strings.Contains(task, own) || task == exec {
			t.Errorf("%s: task role %s and execution role %s must differ", id, task, exec)
		}
	}
	for id, doc := range policies {
		switch {
		case strings.HasPrefix(id, "AppTaskRole"):
			for _, want := range []string{`"s3:PutObject"`, `"s3:DeleteObject"`, "DJANGOAWSSTORAGEBUCKETNAME", "DJANGOAWSSTATICBUCKETNAME", `"ssm:GetParametersByPath"`,
				named(`parameter/{project}/staging/*"`), named(`parameter/{project}/staging"`)} {
				if !strings.Contains(doc, want) {
					t.Errorf("task role lacks %s", want)
				}
			}
			// Versions are what undoes a mistaken delete of an upload.
			if strings.Contains(doc, "DeleteObjectVersion") || strings.Contains(doc, "DeleteObject*") || strings.Contains(doc, "s3:Put*") {
				t.Errorf("task role may delete object versions: %s", doc)
			}
			if strings.Contains(doc, "secretsmanager") || strings.Contains(doc, "ecr:") || strings.Contains(doc, "s3:*") {
				t.Errorf("task role may read secrets or images: %s", doc)
			}
			for _, statement := range asList(props(resources(tmpl, "AWS::IAM::Policy")[id])["PolicyDocument"].(map[string]any)["Statement"]) {
				s := jsonOf(statement)
				if strings.Contains(s, `"s3:PutObject"`) && strings.Contains(s, "DJANGOAWSSTATICBUCKETNAME") {
					t.Errorf("task role may write the static bucket: %s", s)
				}
			}
		case strings.Contains(id, "ExecutionRole"):
			for _, want := range []string{"ecr:BatchGetImage", named("repository/{project}-staging-django"), "logs:PutLogEvents", "secretsmanager:GetSecretValue", "ssm:GetParameters"} {
				if !strings.Contains(doc, want) {
					t.Errorf("%s lacks %s", id, want)
				}
			}
			if strings.Contains(doc, "s3:") {
				t.Errorf("%s may use the buckets", id)
			}
		}
	}
}

// variableSource says where a container variable comes from.
func variableSource(secret map[string]any) string {
	from := jsonOf(secret["ValueFrom"])
	// The secrets' full ARNs are read from the Data stack's shared parameters.
	secretName := regexp.MustCompile(`shareddata(Database|CacheUrl|Django|ThirdParty)SecretArn`).FindStringSubmatch(from)
	field := regexp.MustCompile(`:([A-Za-z_]+)::"`).FindStringSubmatch(from)
	switch {
	case secretName != nil && field != nil:
		return fmt.Sprintf("Secrets Manager `%s` field `%s`", map[string]string{
			"Database": "database", "CacheUrl": "cache-url", "Django": "django", "ThirdParty": "third-party",
		}[secretName[1]], field[1])
	case strings.Contains(from, ":ssm:") && strings.HasSuffix(from, named(":parameter/{project}/production/")+secret["Name"].(string)+`"`):
		return "SSM parameter `/<project>/<env>/" + secret["Name"].(string) + "`"
	}
	return "unknown " + from
}

// containerVariables renders the README's table of the variables each
// container receives, from the production template.
func containerVariables(t *testing.T) string {
	tmpl := synth(t, "production").template(t, stacks.ComputeLayer)
	roles := []struct{ name, prefix string }{{"web", "WebTask"}, {"worker", "WorkerceleryTask"}, {"beat", "BeatTask"}, {"migration", "MigrationTask"}, {"collectstatic", "StaticFilesTask"}}
	rows := map[string]map[string]bool{} // "VAR|source" -> roles
	for _, role := range roles {
		c := container(t, tmpl, role.prefix)
		add := func(name, source string) {
			key := name + "|" + source
			if rows[key] == nil {
				rows[key] = map[string]bool{}
			}
			rows[key][role.name] = true
		}
		for _, e := range asList(c["Environment"]) {
			add(e["Name"].(string), "plain")
		}
		for _, s := range asList(c["Secrets"]) {
			add(s["Name"].(string), variableSource(s))
		}
	}
	keys := make([]string, 0, len(rows))
	for k := range rows {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString("| variable | from | web | worker | beat | migration | collectstatic |\n|---|---|---|---|---|---|---|\n")
	for _, k := range keys {
		name, source, _ := strings.Cut(k, "|")
		fmt.Fprintf(&b, "| `%s` | %s |", name, source)
		for _, role := range roles {
			mark := ""
			if rows[k][role.name] {
				mark = "x"
			}
			fmt.Fprintf(&b, " %s |", mark)
		}
		b.WriteString("\n")
	}
	return b.String()
}

func asList(v any) []map[string]any {
	var out []map[string]any
	for _, item := range asSlice(v) {
		out = append(out, item.(map[string]any))
	}
	return out
}

func asSlice(v any) []any {
	list, _ := v.([]any)
	return list
}

const (
	variablesStart = "<!-- container-variables:start -->\n"
	variablesEnd   = "<!-- container-variables:end -->"
)

// TestREADMEListsContainerVariables keeps the README's list of the
// variables each container receives true; -update rewrites it.
func TestREADMEListsContainerVariables(t *testing.T) {
	table := containerVariables(t)
	if strings.Contains(table, "unknown") {
		t.Fatalf("a variable comes from an unexpected place:\n%s", table)
	}
	for _, secret := range []string{"DJANGO_SECRET_KEY", "POSTGRES_PASSWORD", "REDIS_URL", "CELERY_BROKER_URL", "SENTRY_DSN", "POSTGRES_USER"} {
		if !strings.Contains(table, "`"+secret+"` | Secrets Manager") {
			t.Errorf("%s is not read from Secrets Manager", secret)
		}
	}
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	text := string(readme)
	start, end := strings.Index(text, variablesStart), strings.Index(text, variablesEnd)
	if start < 0 || end < start {
		t.Fatalf("README.md has no %q ... %q section", variablesStart, variablesEnd)
	}
	current := text[start+len(variablesStart) : end]
	if current == table {
		return
	}
	if *update {
		if err := os.WriteFile("README.md", []byte(text[:start+len(variablesStart)]+table+text[end:]), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("README.md's container variables differ from the templates; run go test . -update\nwant:\n%s", table)
}

// render resolves the Fn::Join of a template value, standing in a
// placeholder for every other intrinsic.
func render(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case map[string]any:
		if join, ok := v["Fn::Join"].([]any); ok {
			var parts []string
			for _, p := range join[1].([]any) {
				parts = append(parts, render(p))
			}
			return strings.Join(parts, join[0].(string))
		}
		return "resolved"
	}
	return fmt.Sprint(v)
}

// TestCapacityProviderServicesWaitForTheAssociation: a service that names a
// capacity provider must be created after, and deleted before, the
// cluster's capacity provider association (containers-roadmap#631).
func TestCapacityProviderServicesWaitForTheAssociation(t *testing.T) {
	for _, env := range environments {
		tmpl := synth(t, env).template(t, stacks.ComputeLayer)
		association, _ := only(t, tmpl, "AWS::ECS::ClusterCapacityProviderAssociations")
		checked := 0
		for id, svc := range resources(tmpl, "AWS::ECS::Service") {
			if _, named := props(svc)["CapacityProviderStrategy"]; !named {
				continue
			}
			checked++
			if !strings.Contains(jsonOf(svc["DependsOn"]), `"`+association+`"`) {
				t.Errorf("%s: %s names a capacity provider but does not depend on %s", env, id, association)
			}
		}
		if checked == 0 {
			t.Errorf("%s: no service names a capacity provider", env)
		}
	}
}

// execVariant is production with ECS Exec on (a break-glass shell), which
// needs the web container's root filesystem writable; it is githubVariant
// too.
func execVariant(t *testing.T) *synthesized {
	return synthVariant(t, "production-exec", "production", set(append([]any{
		"environments.production.compute.executeCommand", true,
		"environments.production.compute.web.readonlyRootFilesystem", false,
	}, githubOnly...)...))
}

// filesystemVariant is staging with a second writable path for beat and a
// writable root for the migration task (and so the collectstatic task),
// and (sharing the synthesis) a web service without a health check grace
// period, plain variables in django.environment, two extra egress rules
// (compute.extraEgress) for every Django task group, and CloudFront
// reaching Django over TLS during a rotation of the origin secret
// (originRotation).
func filesystemVariant(t *testing.T) *synthesized {
	return synthVariant(t, "staging-filesystem", "staging", set(append([]any{
		"environments.staging.compute.beat", map[string]any{"writablePaths": []any{"/tmp", "/home/django/.cache"}},
		"environments.staging.compute.migration", map[string]any{"readonlyRootFilesystem": false},
		"environments.staging.compute.web.healthCheckGraceSeconds", 0.0,
		"environments.staging.django.environment", plainVariables,
		"environments.staging.compute.extraEgress", []any{
			map[string]any{"port": 587.0, "cidr": "0.0.0.0/0", "description": "SMTP to the mail provider"},
			map[string]any{"port": 514.0, "protocol": "udp", "cidr": "10.50.0.0/24", "description": "Syslog collector"},
		},
	}, originRotation...)...))
}

// An explicit compute.web.healthCheckGraceSeconds of 0 reaches the service
// as 0 (no grace period), not as the default 60; left out, it is 60.
func TestExplicitZeroHealthCheckGrace(t *testing.T) {
	svc := props(byPrefix(t, filesystemVariant(t).template(t, stacks.ComputeLayer), "AWS::ECS::Service", "WebService"))
	if grace, ok := svc["HealthCheckGracePeriodSeconds"]; !ok || grace != 0.0 {
		t.Errorf("grace period %v (set: %v), want 0", grace, ok)
	}
	context := cdkContext(t)
	context[stacks.EnvKey] = "dev"
	// Neither djangocdk's defaults nor cdk.json's set it for dev.
	cfg, err := stacks.LoadConfig(context)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Compute.Web.HealthCheckGraceSeconds != nil {
		t.Errorf("left out, the grace period is %d, want nil (djangoweb's default)", *cfg.Compute.Web.HealthCheckGraceSeconds)
	}
}

// containerFS is a container's read-only-root flag and the paths where a
// writable task volume is mounted.
type containerFS struct {
	readonly bool
	paths    []string
}

// writableMounts returns, per task definition of tmpl, its containers by
// name with their containerFS. It fails when a mount's volume is not an
// ephemeral (host-less) volume of the task.
func writableMounts(t *testing.T, tmpl map[string]any) map[string]map[string]containerFS {
	t.Helper()
	out := map[string]map[string]containerFS{}
	for id, def := range resources(tmpl, "AWS::ECS::TaskDefinition") {
		volumes := map[string]bool{}
		for _, v := range asList(props(def)["Volumes"]) {
			if len(v) != 1 {
				t.Errorf("%s: volume %v is not a task-level ephemeral volume (a name and nothing else)", id, v)
			}
			volumes[v["Name"].(string)] = true
		}
		out[id] = map[string]containerFS{}
		for _, c := range asList(props(def)["ContainerDefinitions"]) {
			var paths []string
			for _, m := range asList(c["MountPoints"]) {
				if !volumes[fmt.Sprint(m["SourceVolume"])] || m["ReadOnly"] != false {
					t.Errorf("%s %s: mount %v is not a writable volume of the task", id, c["Name"], m)
				}
				paths = append(paths, m["ContainerPath"].(string))
			}
			out[id][c["Name"].(string)] = containerFS{c["ReadonlyRootFilesystem"] == true, paths}
		}
	}
	return out
}

// TestReadonlyRootFilesystem checks that every container of every task
// (web, each queue, beat, migration, collectstatic, tracing sidecars) has
// a read-only root, the Django containers a writable /tmp on a task
// volume, and that beat keeps its schedule there.
func TestReadonlyRootFilesystem(t *testing.T) {
	for _, env := range environments {
		tmpl := synth(t, env).template(t, stacks.ComputeLayer)
		django := 0
		for id, containers := range writableMounts(t, tmpl) {
			for name, c := range containers {
				if !c.readonly {
					t.Errorf("%s: %s's container %s has a writable root filesystem", env, id, name)
				}
				if name == "django" {
					django++
					if strings.Join(c.paths, " ") != "/tmp" {
						t.Errorf("%s: %s's django container has writable paths %q, want /tmp", env, id, c.paths)
					}
				}
			}
		}
		if want := 4 + len(synth(t, env).cfg.Compute.Queues); django != want {
			t.Errorf("%s: %d django containers, want %d (web, queues, beat, migration, collectstatic)", env, django, want)
		}
		for _, prefix := range []string{"WebTask", "BeatTask", "MigrationTask", "StaticFilesTask", "WorkerceleryTask"} {
			if user, ok := container(t, tmpl, prefix)["User"]; ok {
				t.Errorf("%s: %s runs as %v; the default is the image's USER", env, prefix, user)
			}
		}
		// Beat's schedule file is in a writable path.
		beat := asSlice(container(t, tmpl, "BeatTask")["Command"])
		schedule := ""
		for _, arg := range beat {
			if s, ok := strings.CutPrefix(fmt.Sprint(arg), "--schedule="); ok {
				schedule = s
			}
		}
		if !strings.HasPrefix(schedule, "/tmp/") {
			t.Errorf("%s: beat's schedule file is %q, want one under the writable /tmp", env, schedule)
		}
	}

	tmpl := filesystemVariant(t).template(t, stacks.ComputeLayer)
	mounts := writableMounts(t, tmpl)
	byTask := func(prefix string) (bool, []string) {
		for id, containers := range mounts {
			if strings.HasPrefix(id, prefix) {
				return containers["django"].readonly, containers["django"].paths
			}
		}
		t.Fatalf("no task %s*", prefix)
		return false, nil
	}
	for prefix, want := range map[string]struct {
		readonly bool
		paths    string
	}{
		"BeatTask": {true, "/tmp /home/django/.cache"}, "MigrationTask": {false, "/tmp"}, "StaticFilesTask": {false, "/tmp"},
		"WebTask": {true, "/tmp"}, "WorkerceleryTask": {true, "/tmp"},
	} {
		if readonly, paths := byTask(prefix); readonly != want.readonly || strings.Join(paths, " ") != want.paths {
			t.Errorf("variant: %s read-only %v with writable %q, want %v with %s", prefix, readonly, paths, want.readonly, want.paths)
		}
	}
}

// A rolling deploy of the web service moves within 45 s once the new task
// runs: the load balancer judges it healthy after interval × healthy
// threshold, then the old task drains for the deregistration delay, which
// still covers the request budget; a task busy for a whole request budget
// is not judged unhealthy.
func TestWebRolloutCriticalPath(t *testing.T) {
	for _, env := range environments {
		s := synth(t, env)
		tg := props(byPrefix(t, s.template(t, stacks.ComputeLayer), "AWS::ElasticLoadBalancingV2::TargetGroup", "WebService"))
		number := func(key string) int {
			v, ok := tg[key].(float64)
			if !ok {
				t.Fatalf("%s: target group %s is %v", env, key, tg[key])
			}
			return int(v)
		}
		interval, timeout := number("HealthCheckIntervalSeconds"), number("HealthCheckTimeoutSeconds")
		healthy, unhealthy := number("HealthyThresholdCount"), number("UnhealthyThresholdCount")
		deregistration := -1
		for _, a := range asList(tg["TargetGroupAttributes"]) {
			if a["Key"] == "deregistration_delay.timeout_seconds" {
				deregistration, _ = strconv.Atoi(a["Value"].(string))
			}
		}
		budget := s.cfg.Compute.Web.RequestBudgetSeconds
		if interval != 5 || healthy != 2 || timeout >= interval {
			t.Errorf("%s: health check every %d s (timeout %d s), healthy after %d, want the load balancer's minimum 5 s and 2", env, interval, timeout, healthy)
		}
		if deregistration < budget {
			t.Errorf("%s: deregistration delay %d s, less than the request budget %d s", env, deregistration, budget)
		}
		if rollout := interval*healthy + deregistration; rollout > 45 {
			t.Errorf("%s: rollout critical path %d × %d + %d = %d s, more than 45", env, interval, healthy, deregistration, rollout)
		}
		if interval*unhealthy < budget {
			t.Errorf("%s: unhealthy after %d × %d s, less than the request budget %d s", env, unhealthy, interval, budget)
		}
	}
}
