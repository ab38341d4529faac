package main

import (
	"sort"
	"strings"
	"testing"

	"github.com/djangocdk/djangocdk/stacks"
)

// alarmsByName returns the template's named alarms by AlarmName (the
// scale-to-zero alarms of a worker service have no name).
func alarmsByName(tmpl map[string]any) map[string]map[string]any {
	out := map[string]map[string]any{}
	for _, a := range resources(tmpl, "AWS::CloudWatch::Alarm") {
		if name, ok := props(a)["AlarmName"].(string); ok {
			out[name] = props(a)
		}
	}
	return out
}

func TestAlarms(t *testing.T) {
	tmpl := synth(t, "production").template(t, stacks.OperationsLayer)
	alarms := alarmsByName(tmpl)
	// Each alarm: the metric it watches (a substring of its JSON), the
	// comparison and the threshold from config.
	want := map[string]struct {
		metric, comparison string
		threshold          float64
	}{
		"alb-5xx":                     {"HTTPCode_ELB_5XX_Count", "GreaterThanThreshold", 5},
		"target-5xx":                  {"HTTPCode_Target_5XX_Count", "GreaterThanThreshold", 5},
		"latency-p95":                 {`"ExtendedStatistic":"p95","MetricName":"TargetResponseTime"`, "GreaterThanThreshold", 1},
		"latency-p99":                 {`"ExtendedStatistic":"p99","MetricName":"TargetResponseTime"`, "GreaterThanThreshold", 3},
		"unhealthy-hosts":             {"UnHealthyHostCount", "GreaterThanThreshold", 0},
		"web-cpu":                     {"CPUUtilization", "GreaterThanThreshold", 85},
		"web-memory":                  {"MemoryUtilization", "GreaterThanThreshold", 85},
		"web-tasks-missing":           {"DesiredTaskCount", "GreaterThanThreshold", 0},
		"worker-celery-cpu":           {"CPUUtilization", "GreaterThanThreshold", 85},
		"worker-celery-tasks-missing": {"RunningTaskCount", "GreaterThanThreshold", 0},
		"beat-tasks-missing":          {"RunningTaskCount", "GreaterThanThreshold", 0},
		"queue-celery-depth":          {`"MetricName":"QueueDepth","Namespace":"Celery"`, "GreaterThanThreshold", 1000},
		"queue-celery-age":            {`"MetricName":"OldestMessageAge","Namespace":"Celery"`, "GreaterThanThreshold", 600},
		"database-cpu":                {`"MetricName":"CPUUtilization","Namespace":"AWS/RDS"`, "GreaterThanThreshold", 80},
		"database-storage":            {"FreeStorageSpace", "LessThanThreshold", 20 * 1024 * 1024 * 1024 * 0.1},
		"database-memory":             {"FreeableMemory", "LessThanThreshold", 16 * 1024 * 1024 * 1024 * 0.1},
		"database-connections":        {"DatabaseConnections", "GreaterThanThreshold", 1769 * 0.8},
		named("cache-{project}-production-001-cpu"):       {`"MetricName":"EngineCPUUtilization","Namespace":"AWS/ElastiCache"`, "GreaterThanThreshold", 80},
		named("cache-{project}-production-002-memory"):    {"DatabaseMemoryUsagePercentage", "GreaterThanThreshold", 80},
		named("cache-{project}-production-001-evictions"): {`"MetricName":"Evictions"`, "GreaterThanThreshold", 0},
	}
	for name, w := range want {
		a, ok := alarms[named("{project}-production-")+name]
		if !ok {
			t.Errorf("no alarm %s", name)
			continue
		}
		if body := jsonOf(a); !strings.Contains(body, w.metric) {
			t.Errorf("%s does not watch %s: %s", name, w.metric, body)
		}
		if a["ComparisonOperator"] != w.comparison || a["Threshold"] != w.threshold {
			t.Errorf("%s: %v %v, want %s %v", name, a["ComparisonOperator"], a["Threshold"], w.comparison, w.threshold)
		}
	}
	// Every alarm notifies the alarm topic, when it fires and when it clears.
	for name, a := range alarms {
		if !strings.Contains(jsonOf(a["AlarmActions"]), "Alarms") || !strings.Contains(jsonOf(a["OKActions"]), "Alarms") {
			t.Errorf("%s notifies nobody", name)
		}
	}
	_, topic := only(t, tmpl, "AWS::SNS::Topic")
	if !strings.Contains(jsonOf(props(topic)["KmsMasterKeyId"]), "AlarmKey") {
		t.Errorf("the alarm topic is not encrypted")
	}
	_, rule := only(t, tmpl, "AWS::Events::Rule")
	if p := jsonOf(props(rule)); !strings.Contains(p, `"detail":{"state":["FAILED"]}`) || !strings.Contains(p, "aws.codepipeline") || !strings.Contains(p, "Alarms") {
		t.Errorf("failed releases do not reach the alarm topic: %s", p)
	}
}

func TestDashboard(t *testing.T) {
	tmpl := synth(t, "production").template(t, stacks.OperationsLayer)
	_, d := only(t, tmpl, "AWS::CloudWatch::Dashboard")
	body := jsonOf(props(d)["DashboardBody"])
	for _, want := range []string{"Request path", "TargetResponseTime", "Queue depth", "OldestMessageAge", "PostgreSQL connections",
		"Cache memory", "DeploymentCount", "Releases", `\"type\":\"alarm\"`} {
		if !strings.Contains(body, want) {
			t.Errorf("the dashboard lacks %s", want)
		}
	}
}

func TestDeploymentAlarms(t *testing.T) {
	prod := alarmsByName(synth(t, "production").template(t, stacks.ComputeLayer))
	var names []string
	for name := range prod {
		names = append(names, name)
	}
	sort.Strings(names)
	if strings.Join(names, " ") != named("{project}-production-web-deployment-5xx {project}-production-web-deployment-latency") {
		t.Fatalf("deployment alarms %v", names)
	}
	if a := prod[named("{project}-production-web-deployment-5xx")]; a["Threshold"] != 10.0 || !strings.Contains(jsonOf(a), "HTTPCode_Target_5XX_Count") {
		t.Errorf("5xx deployment alarm %v", a)
	}
	if a := prod[named("{project}-production-web-deployment-latency")]; a["Threshold"] != 2.0 || !strings.Contains(jsonOf(a), `"ExtendedStatistic":"p95"`) {
		t.Errorf("latency deployment alarm %v", a)
	}
	if n := len(alarmsByName(synth(t, "dev").template(t, stacks.ComputeLayer))); n != 0 {
		t.Errorf("dev has %d deployment alarms; they are a production setting", n)
	}
}

func TestExecAndTracing(t *testing.T) {
	// ECS Exec needs a writable root filesystem: off in the shipped
	// environments, on in a variant that opens the web container's root.
	exec := execVariant(t).template(t, stacks.ComputeLayer)
	if c := container(t, exec, "WebTask"); c["ReadonlyRootFilesystem"] != false {
		t.Errorf("exec: the web container's root is read-only (%v); ECS Exec's agent could not start", c["ReadonlyRootFilesystem"])
	}
	_, cluster := only(t, exec, "AWS::ECS::Cluster")
	config := jsonOf(props(cluster)["Configuration"])
	if !strings.Contains(config, `"KmsKeyId":{"Fn::GetAtt":["ExecKey`) || !strings.Contains(config, `"CloudWatchEncryptionEnabled":true`) || !strings.Contains(config, `"Logging":"OVERRIDE"`) {
		t.Errorf("exec: sessions are not encrypted and logged: %s", config)
	}
	if svc := props(byPrefix(t, exec, "AWS::ECS::Service", "WebService")); svc["EnableExecuteCommand"] != true {
		t.Errorf("exec: no ECS Exec on the web service")
	}
	logs := props(byPrefix(t, exec, "AWS::Logs::LogGroup", "ExecLogs"))
	if logs["KmsKeyId"] == nil || logs["RetentionInDays"] == nil {
		t.Errorf("exec: log group %v", logs)
	}
	policy := jsonOf(props(byPrefix(t, exec, "AWS::IAM::Policy", "AppTaskRoleDefaultPolicy")))
	if !strings.Contains(policy, "ssmmessages:OpenDataChannel") || !strings.Contains(policy, "ExecKey") {
		t.Errorf("exec: the task role cannot open exec sessions: %s", policy)
	}
	if cmd := jsonOf(exec["Outputs"].(map[string]any)["ShellCommand"]); !strings.Contains(cmd, "aws ecs execute-command") || !strings.Contains(cmd, "python manage.py shell") {
		t.Errorf("exec: ShellCommand %s", cmd)
	}
	for _, env := range environments {
		tmpl := synth(t, env).template(t, stacks.ComputeLayer)
		_, cluster := only(t, tmpl, "AWS::ECS::Cluster")
		if insights := jsonOf(props(cluster)["ClusterSettings"]); insights != `[{"Name":"containerInsights","Value":"enabled"}]` {
			t.Errorf("%s: Container Insights %s", env, insights)
		}
		if svc := props(byPrefix(t, tmpl, "AWS::ECS::Service", "WebService")); svc["EnableExecuteCommand"] == true {
			t.Errorf("%s: ECS Exec on a web container whose root is read-only", env)
		}
		if _, ok := tmpl["Outputs"].(map[string]any)["ShellCommand"]; ok {
			t.Errorf("%s: a ShellCommand output without ECS Exec", env)
		}

		traced := env == "production"
		for _, task := range []string{"WebTask", "WorkerceleryTask", "BeatTask", "MigrationTask"} {
			names := strings.Join(containerNames(t, tmpl, task), " ")
			wantSidecar := traced && task != "MigrationTask"
			if strings.Contains(names, "otel-collector") != wantSidecar {
				t.Errorf("%s %s: containers %s, tracing sidecar wanted: %v", env, task, names, wantSidecar)
			}
		}
		if traced {
			defs := jsonOf(props(byPrefix(t, tmpl, "AWS::ECS::TaskDefinition", "WebTask"))["ContainerDefinitions"])
			for _, want := range []string{"aws-otel-collector:v0.40.0", "--config=/etc/ecs/ecs-xray.yaml", `"Essential":false`,
				`{"Name":"OTEL_EXPORTER_OTLP_ENDPOINT","Value":"http://localhost:4317"}`, named(`{"Name":"OTEL_SERVICE_NAME","Value":"{project}-web"}`)} {
				if !strings.Contains(defs, want) {
					t.Errorf("tracing lacks %s", want)
				}
			}
			if !strings.Contains(jsonOf(props(byPrefix(t, tmpl, "AWS::IAM::Policy", "AppTaskRoleDefaultPolicy"))), "xray:PutTraceSegments") {
				t.Errorf("the task role cannot send traces")
			}
		}
	}
}

func TestEveryLogGroupHasARetention(t *testing.T) {
	for _, env := range environments {
		s := synth(t, env)
		for _, name := range s.stackNames() {
			layer := strings.TrimPrefix(name, named("{project}-")+env+"-")
			for id, g := range resources(s.template(t, layer), "AWS::Logs::LogGroup") {
				if props(g)["RetentionInDays"] == nil {
					t.Errorf("%s: log group %s keeps logs forever", name, id)
				}
			}
		}
	}
}

// TestAlarmTopicAcceptsCloudWatch: a topic policy replaces SNS's default
// one, so without this statement no alarm would ever be delivered.
func TestAlarmTopicAcceptsCloudWatch(t *testing.T) {
	for _, env := range environments {
		tmpl := synth(t, env).template(t, stacks.OperationsLayer)
		_, policy := only(t, tmpl, "AWS::SNS::TopicPolicy")
		found := false
		for _, statement := range asList(props(policy)["PolicyDocument"].(map[string]any)["Statement"]) {
			s := jsonOf(statement)
			if strings.Contains(s, `"Service":"cloudwatch.amazonaws.com"`) && statement["Effect"] == "Allow" && strings.Contains(s, `"sns:Publish"`) {
				found = true
				account := synth(t, env).cfg.Account
				if !strings.Contains(s, `"aws:SourceAccount":"`+account+`"`) || !strings.Contains(s, `:cloudwatch:us-east-1:`+account+`:alarm:*`) {
					t.Errorf("%s: CloudWatch may publish from other accounts: %s", env, s)
				}
			}
		}
		if !found {
			t.Errorf("%s: the alarm topic's policy does not let CloudWatch alarms publish", env)
		}
	}
}
