package scheduledjob

import (
	"encoding/json"
	"fmt"
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
type placeholderGroup struct{ awsec2.ISecurityGroup }
type placeholderImage struct{ awsecs.ContainerImage }

func TestNewRejectsInvalidProps(t *testing.T) {
	_, err := New(nil, "Job", &Props{Name: "Reports", Schedule: "cron(0 3 * * * *)", TimeoutMinutes: -1,
		Task: apptask.Props{Command: []string{"python", "manage.py", "migrate"}}})
	want := []string{
		`Job: scheduledjob.Props.Name: "Reports" is not a job name`,
		`Job: scheduledjob.Props.Schedule: "cron(0 3 * * * *)" is not a schedule: day-of-month "*" and day-of-week "*" are both set`,
		"Job: scheduledjob.Props.Cluster: required",
		"Job: scheduledjob.Props.SecurityGroup: required",
		"Job: scheduledjob.Props.TimeoutMinutes: -1 is outside 0 (no limit) to 10080 (a week)",
		`Job: scheduledjob.Props.Task.Command: ["python" "manage.py" "migrate"] runs migrations`,
		"Job: scheduledjob.Props.Task.Image: required",
	}
	if err == nil {
		t.Fatal("no error")
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != len(want) {
		t.Fatalf("error:\n%v", err)
	}
	for i, w := range want {
		if !strings.HasPrefix(lines[i], w) {
			t.Errorf("line %d: %s\nwant prefix: %s", i, lines[i], w)
		}
	}
	if problems := (&Props{Name: "ok", Schedule: "rate(1 day)", Cluster: placeholderCluster{}, SecurityGroup: placeholderGroup{},
		Task: apptask.Props{Image: placeholderImage{}, Command: []string{"python", "manage.py", "clearsessions"}}}).problems(); len(problems) != 0 {
		t.Errorf("valid props: %v", problems)
	}
}

// jobs synthesizes one stack with two jobs, one with a timeout and a
// public IP.
func jobs(t *testing.T) (*tt.Template, *Job, *Job) {
	t.Helper()
	stack := tt.Stack(t)
	vpc := awsec2.NewVpc(stack, jsii.String("Vpc"), &awsec2.VpcProps{MaxAzs: jsii.Number(2), NatGateways: jsii.Number(1)})
	cluster := awsecs.NewCluster(stack, jsii.String("Cluster"), &awsecs.ClusterProps{Vpc: vpc, ClusterName: jsii.String("shop")})
	group := awsec2.NewSecurityGroup(stack, jsii.String("JobTasks"), &awsec2.SecurityGroupProps{Vpc: vpc})
	image := awsecs.ContainerImage_FromRegistry(jsii.String("example/shop:1"), nil)
	reports, err := New(stack, "Job-reports", &Props{
		Name: "reports", Schedule: "cron(0 3 * * ? *)", Cluster: cluster, SecurityGroup: group, TimeoutMinutes: 30, AssignPublicIp: true,
		Task: apptask.Props{Image: image, Family: "shop-job-reports", Command: []string{"python", "manage.py", "send_reports"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	sessions, err := New(stack, "Job-clearsessions", &Props{
		Name: "clearsessions", Schedule: "rate(1 day)", Cluster: cluster, SecurityGroup: group,
		Task: apptask.Props{Image: image, Family: "shop-job-clearsessions", Command: []string{"python", "manage.py", "clearsessions"}, Cpu: 256, MemoryMiB: 512},
	})
	if err != nil {
		t.Fatal(err)
	}
	return tt.FromStack(t, stack), reports, sessions
}

// definition returns the states of the state machine whose logical id
// starts with prefix, with every token of its Fn::Join written "<token>".
func definition(t *testing.T, template *tt.Template, prefix string) map[string]map[string]any {
	t.Helper()
	for id, r := range template.Resources("AWS::StepFunctions::StateMachine") {
		if !strings.HasPrefix(id, prefix) {
			continue
		}
		var text strings.Builder
		parts := r["Properties"].(map[string]any)["DefinitionString"].(map[string]any)["Fn::Join"].([]any)[1].([]any)
		for _, part := range parts {
			if s, ok := part.(string); ok {
				text.WriteString(s)
			} else {
				text.WriteString("<token>")
			}
		}
		var def struct{ States map[string]map[string]any }
		if err := json.Unmarshal([]byte(text.String()), &def); err != nil {
			t.Fatalf("%s: %v\n%s", id, err, text.String())
		}
		return def.States
	}
	t.Fatalf("no state machine %s*", prefix)
	return nil
}

func TestSchedules(t *testing.T) {
	template, reports, _ := jobs(t)
	for expression, family := range map[string]string{"cron(0 3 * * ? *)": "reports", "rate(1 day)": "clearsessions"} {
		template.HasResourceProperties("AWS::Scheduler::Schedule", map[string]any{
			"ScheduleExpression": expression,
			"FlexibleTimeWindow": map[string]any{"Mode": "OFF"},
			"State":              "ENABLED",
			"Target": tt.Like(map[string]any{
				"Arn":         map[string]any{"Ref": tt.AnyValue()},
				"RetryPolicy": map[string]any{"MaximumEventAgeInSeconds": 3600.0, "MaximumRetryAttempts": 10.0},
			}),
		})
		template.HasResourceProperties("AWS::ECS::TaskDefinition", map[string]any{"Family": "shop-job-" + family})
	}
	// The schedule starts the job's own state machine.
	stack := awscdk.Stack_Of(reports)
	target := template.Resources("AWS::Scheduler::Schedule")[*stack.GetLogicalId(reports.Schedule().Node().DefaultChild().(awscdk.CfnElement))]
	runner := *stack.GetLogicalId(reports.Runner().Node().DefaultChild().(awscdk.CfnElement))
	if got := fmt.Sprint(target["Properties"].(map[string]any)["Target"].(map[string]any)["Arn"]); got != "map[Ref:"+runner+"]" {
		t.Errorf("reports' schedule targets %s, want %s", got, runner)
	}
	template.HasResourceProperties("AWS::StepFunctions::StateMachine", map[string]any{
		"StateMachineType":     "STANDARD",
		"TracingConfiguration": map[string]any{"Enabled": true},
		"LoggingConfiguration": tt.Like(map[string]any{"Level": "ALL"}),
	})
}

func TestOverlapGuard(t *testing.T) {
	template, _, _ := jobs(t)
	for prefix, family := range map[string]string{"JobreportsRunner": "shop-job-reports", "JobclearsessionsRunner": "shop-job-clearsessions"} {
		states := definition(t, template, prefix)
		guard := states["ListRunningTasks"]
		if !strings.HasSuffix(guard["Resource"].(string), ":states:::aws-sdk:ecs:listTasks") {
			t.Errorf("%s: guard resource %v", prefix, guard["Resource"])
		}
		params := guard["Parameters"].(map[string]any)
		if params["Family"] != family || params["DesiredStatus"] != "RUNNING" || params["Cluster"] != "<token>" {
			t.Errorf("%s: guard lists %v", prefix, params)
		}
		if guard["Next"] != "AlreadyRunning" || guard["ResultSelector"].(map[string]any)["Running.$"] != "States.ArrayLength($.TaskArns)" {
			t.Errorf("%s: guard %v", prefix, guard)
		}
		choice := states["AlreadyRunning"]
		rule := choice["Choices"].([]any)[0].(map[string]any)
		if rule["Variable"] != "$.Guard.Running" || rule["NumericGreaterThan"] != 0.0 || rule["Next"] != "SkippedAlreadyRunning" || choice["Default"] != "RunTask" {
			t.Errorf("%s: choice %v", prefix, choice)
		}
		if states["SkippedAlreadyRunning"]["Type"] != "Succeed" {
			t.Errorf("%s: a skipped run is not a failure: %v", prefix, states["SkippedAlreadyRunning"])
		}
		run := states["RunTask"]
		if !strings.HasSuffix(run["Resource"].(string), ":states:::ecs:runTask.sync") || run["Next"] != "ExitedZero" {
			t.Errorf("%s: run %v", prefix, run)
		}
		network := run["Parameters"].(map[string]any)["NetworkConfiguration"].(map[string]any)["AwsvpcConfiguration"].(map[string]any)
		if fmt.Sprint(network["SecurityGroups"]) != "[${SecurityGroup}]" || fmt.Sprint(network["Subnets"]) != "[${Subnet0} ${Subnet1}]" {
			t.Errorf("%s: network %v", prefix, network)
		}
	}
	// The subnets and the group are substituted, not joined into the definition.
	template.HasResourceProperties("AWS::StepFunctions::StateMachine", map[string]any{"DefinitionSubstitutions": map[string]any{
		"SecurityGroup": map[string]any{"Fn::GetAtt": []any{tt.AnyValue(), "GroupId"}},
		"Subnet0":       map[string]any{"Ref": tt.AnyValue()}, "Subnet1": map[string]any{"Ref": tt.AnyValue()},
	}})
	// The guard may list the tasks of this cluster only.
	template.HasResourceProperties("AWS::IAM::Policy", map[string]any{
		"PolicyDocument": tt.Like(map[string]any{"Statement": tt.ArrayWith(map[string]any{
			"Action": "ecs:ListTasks", "Effect": "Allow", "Resource": "*",
			"Condition": map[string]any{"ArnEquals": map[string]any{"ecs:cluster": map[string]any{"Fn::GetAtt": []any{tt.AnyValue(), "Arn"}}}},
		})}),
	})
}

func TestExitCodeAndTimeout(t *testing.T) {
	template, _, _ := jobs(t)
	for _, prefix := range []string{"JobreportsRunner", "JobclearsessionsRunner"} {
		states := definition(t, template, prefix)
		check := states["ExitedZero"]
		rule := check["Choices"].([]any)[0].(map[string]any)
		and := rule["And"].([]any)
		if fmt.Sprint(and) != "[map[IsPresent:true Variable:$.Task.Containers[0].ExitCode] map[NumericEquals:0 Variable:$.Task.Containers[0].ExitCode]]" ||
			rule["Next"] != "Succeeded" || check["Default"] != "Failed" || states["Failed"]["Type"] != "Fail" {
			t.Errorf("%s: exit code check %v", prefix, check)
		}
	}
	reports := definition(t, template, "JobreportsRunner")
	run := reports["RunTask"]
	catch := run["Catch"].([]any)[0].(map[string]any)
	if run["TimeoutSeconds"] != 1800.0 || fmt.Sprint(catch["ErrorEquals"]) != "[States.Timeout]" || catch["Next"] != "ListTimedOutTasks" {
		t.Errorf("reports: run %v", run)
	}
	if reports["ListTimedOutTasks"]["Next"] != "StopTimedOutTasks" || reports["StopTimedOutTasks"]["ItemsPath"] != "$.Stragglers.TaskArns" ||
		reports["StopTimedOutTasks"]["Next"] != "TimedOut" || reports["TimedOut"]["Type"] != "Fail" {
		t.Errorf("reports: timeout path %v %v", reports["ListTimedOutTasks"], reports["StopTimedOutTasks"])
	}
	stop := reports["StopTimedOutTasks"]["ItemProcessor"].(map[string]any)["States"].(map[string]any)["StopTask"].(map[string]any)
	if !strings.HasSuffix(stop["Resource"].(string), ":states:::aws-sdk:ecs:stopTask") || stop["Parameters"].(map[string]any)["Task.$"] != "$" {
		t.Errorf("reports: stop %v", stop)
	}
	sessions := definition(t, template, "JobclearsessionsRunner")
	if _, limited := sessions["RunTask"]["TimeoutSeconds"]; limited || sessions["RunTask"]["Catch"] != nil || sessions["StopTimedOutTasks"] != nil {
		t.Errorf("clearsessions has no timeout: %v", sessions["RunTask"])
	}
}

// TestPublicIP checks that a job in a VPC without NAT gets a public IP,
// and that a job without the prop keeps RunTask's default, none.
func TestPublicIP(t *testing.T) {
	template, _, _ := jobs(t)
	network := func(prefix string) any {
		params := definition(t, template, prefix)["RunTask"]["Parameters"].(map[string]any)
		return params["NetworkConfiguration"].(map[string]any)["AwsvpcConfiguration"].(map[string]any)["AssignPublicIp"]
	}
	if got := network("JobreportsRunner"); got != "ENABLED" {
		t.Errorf("reports: AssignPublicIp %v, want ENABLED", got)
	}
	if got := network("JobclearsessionsRunner"); got != nil {
		t.Errorf("clearsessions: AssignPublicIp %v, want none", got)
	}
}
