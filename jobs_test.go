package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/djangocdk/djangocdk/stacks"
)

// withJobs is dev with two scheduled jobs, one with a timeout and its own
// size, and with the dashboard that dev leaves out to save its cost.
func withJobs(t *testing.T) *synthesized {
	return synthVariant(t, "dev-jobs", "dev", set("environments.dev.operations.dashboard", true, "environments.dev.compute.jobs", []any{
		map[string]any{"name": "clearsessions", "schedule": "cron(0 3 * * ? *)", "command": []any{"python", "manage.py", "clearsessions"}},
		map[string]any{"name": "reports", "schedule": "rate(1 hour)", "command": []any{"python", "manage.py", "send_reports"},
			"cpu": 256.0, "memoryMiB": 512.0, "timeoutMinutes": 20.0},
	}))
}

// TestJobs checks each job end to end: its task, schedule, runner with the
// overlap guard, security group, and alarm and widget in the Operations stack.
func TestJobs(t *testing.T) {
	s := withJobs(t)
	compute := s.template(t, stacks.ComputeLayer)
	for name, schedule := range map[string]string{"clearsessions": "cron(0 3 * * ? *)", "reports": "rate(1 hour)"} {
		assert(t, compute, func(tmpl assertions.Template) {
			tmpl.HasResourceProperties(str("AWS::Scheduler::Schedule"), map[string]any{
				"ScheduleExpression": schedule, "Description": "Starts job " + name + " on " + schedule,
			})
			tmpl.HasResourceProperties(str("AWS::ECS::TaskDefinition"), map[string]any{"Family": "myapp-dev-job-" + name})
		})
		// The runner guards, runs the job's family with the job group, in the private subnets.
		var def string
		for id, r := range resources(compute, "AWS::StepFunctions::StateMachine") {
			if strings.HasPrefix(id, "Job"+name+"Runner") {
				raw, _ := json.Marshal(props(r)["DefinitionString"])
				def = string(raw)
				// The job kind's group, substituted as a property value (a weak
				// reference may not sit inside the definition's Fn::Join).
				subs, _ := json.Marshal(props(r)["DefinitionSubstitutions"])
				if !strings.Contains(string(subs), `"SecurityGroup":{"Fn::GetStackOutput"`) || !strings.Contains(string(subs), "JobTasks") || strings.Contains(def, "GetStackOutput") {
					t.Errorf("%s: substitutions %s", name, subs)
				}
			}
		}
		for _, want := range []string{`aws-sdk:ecs:listTasks`, `\"DesiredStatus\":\"RUNNING\",\"Family\":\"myapp-dev-job-` + name + `\"`,
			`\"Variable\":\"$.Guard.Running\",\"NumericGreaterThan\":0,\"Next\":\"SkippedAlreadyRunning\"`, `ecs:runTask.sync`, `\"SecurityGroups\":[\"${SecurityGroup}\"]`} {
			if !strings.Contains(def, want) {
				t.Errorf("%s: runner lacks %s:\n%s", name, want, def)
			}
		}
		if timed := strings.Contains(def, `\"TimeoutSeconds\":1200`); timed != (name == "reports") {
			t.Errorf("%s: timeout %v in %s", name, timed, def)
		}
	}
	// The job kind has its own group, which the database and the cache admit.
	data := s.template(t, stacks.DataLayer)
	if len(resources(data, "AWS::EC2::SecurityGroup")) == len(resources(synth(t, "dev").template(t, stacks.DataLayer), "AWS::EC2::SecurityGroup")) {
		t.Error("no job security group in the Data stack")
	}
	assert(t, data, func(tmpl assertions.Template) {
		tmpl.HasResourceProperties(str("AWS::EC2::SecurityGroupIngress"), map[string]any{"Description": "PostgreSQL from job tasks"})
		tmpl.HasResourceProperties(str("AWS::EC2::SecurityGroupIngress"), map[string]any{"Description": "Cache from job tasks"})
	})
	// Failures alarm the operations topic; the dashboard shows runs and failures.
	ops := s.template(t, stacks.OperationsLayer)
	assert(t, ops, func(tmpl assertions.Template) {
		for _, name := range []string{"clearsessions", "reports"} {
			tmpl.HasResourceProperties(str("AWS::CloudWatch::Alarm"), map[string]any{
				"AlarmName": "myapp-dev-job-" + name + "-failed", "Namespace": "AWS/States", "MetricName": "ExecutionsFailed",
				"AlarmActions": []any{map[string]any{"Ref": assertions.Match_StringLikeRegexp(str("^Alarms[0-9A-F]{8}$"))}},
			})
		}
	})
	body, _ := json.Marshal(props(onlyResource(t, ops, "AWS::CloudWatch::Dashboard"))["DashboardBody"])
	for _, want := range []string{"Job clearsessions: runs and failures", "Job reports: runs and failures"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("dashboard lacks %q", want)
		}
	}
	// Jobs are not services: the pipeline does not deploy them as such.
	for _, p := range s.cfg.Processes() {
		if p.Kind == stacks.JobKind && p.Service() {
			t.Errorf("%s is a service", p.Name)
		}
	}
}

func onlyResource(t *testing.T, tmpl map[string]any, typ string) map[string]any {
	t.Helper()
	all := resources(tmpl, typ)
	if len(all) != 1 {
		t.Fatalf("%d %s", len(all), typ)
	}
	for _, r := range all {
		return r
	}
	return nil
}

func str(s string) *string { return &s }
