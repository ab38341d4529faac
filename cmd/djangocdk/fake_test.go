package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logstypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/codebuild"
	cbtypes "github.com/aws/aws-sdk-go-v2/service/codebuild/types"
	"github.com/aws/aws-sdk-go-v2/service/codepipeline"
	cptypes "github.com/aws/aws-sdk-go-v2/service/codepipeline/types"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/jsii-runtime-go"
	"github.com/aws/smithy-go"
	"github.com/djangocdk/djangocdk/stacks"
)

// The tests run against fake AWS clients holding the state of a deployed
// dev environment of the shipped cdk.json: no credentials, no network, no
// synthesis.

const (
	repoURI   = "111111111111.dkr.ecr.us-east-1.amazonaws.com/myapp-dev-django"
	cluster   = "myapp-dev-ClusterEB0386A7-abc"
	webName   = "myapp-dev-compute-WebService-abc"
	beatName  = "myapp-dev-compute-BeatService-abc"
	workName  = "myapp-dev-compute-WorkercelerySvc-abc"
	migrateTD = "arn:aws:ecs:us-east-1:111111111111:task-definition/myapp-dev-migrate:7"
	taskArn   = "arn:aws:ecs:us-east-1:111111111111:task/" + cluster + "/0123456789abcdef"
)

// fake is every AWS client at once; failing maps an operation name to the
// error it returns.
type fake struct {
	mu      sync.Mutex
	account string
	params  map[string]string
	failing map[string]error
	calls   []string

	services   map[string]ecstypes.Service
	taskDefs   map[string]ecstypes.TaskDefinition
	registered []*ecs.RegisterTaskDefinitionInput
	runs       []*ecs.RunTaskInput
	runOut     *ecs.RunTaskOutput
	// taskStates are returned by successive DescribeTasks calls; the last repeats.
	taskStates []ecstypes.Task
	stops      []*ecs.StopTaskInput
	listed     []string
	execs      []*ecs.ExecuteCommandInput

	groupEvents  map[string][]logstypes.FilteredLogEvent
	streamEvents map[string][]logstypes.OutputLogEvent // group + " " + stream

	depth  map[string]float64 // queue -> latest depth
	alarms []cwtypes.MetricAlarm

	projectEnv map[string]string
	starts     []*codebuild.StartBuildInput
	builds     []cbtypes.Build // successive BatchGetBuilds answers; the last repeats

	executions []cptypes.PipelineExecutionSummary
	images     []ecrtypes.ImageDetail
}

func newFake() *fake {
	logs := func(group string) *ecstypes.LogConfiguration {
		return &ecstypes.LogConfiguration{LogDriver: ecstypes.LogDriverAwslogs, Options: map[string]string{"awslogs-group": group, "awslogs-stream-prefix": "django"}}
	}
	td := func(arn, family, image, group string) ecstypes.TaskDefinition {
		return ecstypes.TaskDefinition{
			TaskDefinitionArn: aws.String(arn), Family: aws.String(family), Cpu: aws.String("512"), Memory: aws.String("1024"),
			ContainerDefinitions: []ecstypes.ContainerDefinition{{Name: aws.String("django"), Image: aws.String(image), LogConfiguration: logs(group)}},
		}
	}
	f := &fake{
		account: "111111111111",
		params: map[string]string{
			"/myapp/dev/image-tag":                              "c0ffee1",
			"/myapp/dev/shared/compute/ClusterName":             cluster,
			"/myapp/dev/shared/compute/WebServiceName":          webName,
			"/myapp/dev/shared/compute/BeatServiceName":         beatName,
			"/myapp/dev/shared/compute/WorkerCeleryServiceName": workName,
			"/myapp/dev/shared/pipeline/PipelineName":           "myapp-dev-pipeline-Release-abc",
		},
		failing: map[string]error{},
		services: map[string]ecstypes.Service{
			webName:  {ServiceName: aws.String(webName), TaskDefinition: aws.String("web:3"), RunningCount: 2, DesiredCount: 2, Deployments: []ecstypes.Deployment{{Status: aws.String("PRIMARY"), TaskDefinition: aws.String("web:3"), RolloutState: ecstypes.DeploymentRolloutStateCompleted}}},
			beatName: {ServiceName: aws.String(beatName), TaskDefinition: aws.String("beat:3"), RunningCount: 1, DesiredCount: 1, Deployments: []ecstypes.Deployment{{Status: aws.String("PRIMARY"), TaskDefinition: aws.String("beat:3"), RolloutState: ecstypes.DeploymentRolloutStateCompleted}}},
			workName: {ServiceName: aws.String(workName), TaskDefinition: aws.String("worker:2"), RunningCount: 1, DesiredCount: 2, PendingCount: 1, Deployments: []ecstypes.Deployment{
				{Status: aws.String("PRIMARY"), TaskDefinition: aws.String("worker:3"), RolloutState: ecstypes.DeploymentRolloutStateInProgress, RunningCount: 1, DesiredCount: 2},
				{Status: aws.String("ACTIVE"), TaskDefinition: aws.String("worker:2"), RolloutState: ecstypes.DeploymentRolloutStateCompleted},
			}},
		},
		taskDefs: map[string]ecstypes.TaskDefinition{
			"web:3":             td("web:3", "web", repoURI+":c0ffee1", "/web"),
			"beat:3":            td("beat:3", "beat", repoURI+":c0ffee1", "/beat"),
			"worker:2":          td("worker:2", "worker", repoURI+":babe000", "/worker"),
			"worker:3":          td("worker:3", "worker", repoURI+":c0ffee1", "/worker"),
			"myapp-dev-migrate": td(migrateTD, "myapp-dev-migrate", repoURI+":c0ffee1", "/migrate"),
		},
		runOut:       &ecs.RunTaskOutput{Tasks: []ecstypes.Task{{TaskArn: aws.String(taskArn)}}},
		groupEvents:  map[string][]logstypes.FilteredLogEvent{},
		streamEvents: map[string][]logstypes.OutputLogEvent{},
		depth:        map[string]float64{"celery": 42},
		projectEnv: map[string]string{
			"CLUSTER": cluster, "SUBNETS": "subnet-a,subnet-b", "SECURITY_GROUP": "sg-migrate",
			"MIGRATE_FAMILY": "myapp-dev-migrate", "REPOSITORY_URI": repoURI, "IMAGE_TAG": "",
		},
	}
	return f
}

// apiError is an AWS error by its code.
func apiError(code string) error {
	return &smithy.GenericAPIError{Code: code, Message: code + " (fake)"}
}

// call records an operation and returns the error it is set to fail with.
func (f *fake) call(op string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, op)
	return f.failing[op]
}

func (f *fake) GetCallerIdentity(context.Context, *sts.GetCallerIdentityInput, ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error) {
	if err := f.call("GetCallerIdentity"); err != nil {
		return nil, err
	}
	return &sts.GetCallerIdentityOutput{Account: aws.String(f.account), Arn: aws.String("arn:aws:sts::" + f.account + ":assumed-role/Ops/me")}, nil
}

func (f *fake) GetParameter(_ context.Context, in *ssm.GetParameterInput, _ ...func(*ssm.Options)) (*ssm.GetParameterOutput, error) {
	if err := f.call("GetParameter"); err != nil {
		return nil, err
	}
	v, ok := f.params[*in.Name]
	if !ok {
		return nil, &ssmtypes.ParameterNotFound{Message: aws.String("not found")}
	}
	return &ssm.GetParameterOutput{Parameter: &ssmtypes.Parameter{Name: in.Name, Value: aws.String(v)}}, nil
}

func (f *fake) DescribeServices(_ context.Context, in *ecs.DescribeServicesInput, _ ...func(*ecs.Options)) (*ecs.DescribeServicesOutput, error) {
	if err := f.call("DescribeServices"); err != nil {
		return nil, err
	}
	out := &ecs.DescribeServicesOutput{}
	for _, name := range in.Services {
		if s, ok := f.services[name]; ok && *in.Cluster == cluster {
			out.Services = append(out.Services, s)
		} else {
			out.Failures = append(out.Failures, ecstypes.Failure{Arn: aws.String(name), Reason: aws.String("MISSING")})
		}
	}
	return out, nil
}

func (f *fake) DescribeTaskDefinition(_ context.Context, in *ecs.DescribeTaskDefinitionInput, _ ...func(*ecs.Options)) (*ecs.DescribeTaskDefinitionOutput, error) {
	if err := f.call("DescribeTaskDefinition"); err != nil {
		return nil, err
	}
	td, ok := f.taskDefs[*in.TaskDefinition]
	if !ok {
		return nil, apiError("ClientException")
	}
	// A deep enough copy: callers change the container's image.
	td.ContainerDefinitions = append([]ecstypes.ContainerDefinition(nil), td.ContainerDefinitions...)
	return &ecs.DescribeTaskDefinitionOutput{TaskDefinition: &td}, nil
}

func (f *fake) RegisterTaskDefinition(_ context.Context, in *ecs.RegisterTaskDefinitionInput, _ ...func(*ecs.Options)) (*ecs.RegisterTaskDefinitionOutput, error) {
	if err := f.call("RegisterTaskDefinition"); err != nil {
		return nil, err
	}
	f.registered = append(f.registered, in)
	arn := "arn:aws:ecs:us-east-1:111111111111:task-definition/" + *in.Family + ":8"
	return &ecs.RegisterTaskDefinitionOutput{TaskDefinition: &ecstypes.TaskDefinition{TaskDefinitionArn: aws.String(arn), Family: in.Family, ContainerDefinitions: in.ContainerDefinitions}}, nil
}

func (f *fake) RunTask(_ context.Context, in *ecs.RunTaskInput, _ ...func(*ecs.Options)) (*ecs.RunTaskOutput, error) {
	if err := f.call("RunTask"); err != nil {
		return nil, err
	}
	f.runs = append(f.runs, in)
	return f.runOut, nil
}

func (f *fake) DescribeTasks(_ context.Context, in *ecs.DescribeTasksInput, _ ...func(*ecs.Options)) (*ecs.DescribeTasksOutput, error) {
	if err := f.call("DescribeTasks"); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	t := f.taskStates[0]
	if len(f.taskStates) > 1 {
		f.taskStates = f.taskStates[1:]
	}
	return &ecs.DescribeTasksOutput{Tasks: []ecstypes.Task{t}}, nil
}

func (f *fake) StopTask(_ context.Context, in *ecs.StopTaskInput, _ ...func(*ecs.Options)) (*ecs.StopTaskOutput, error) {
	if err := f.call("StopTask"); err != nil {
		return nil, err
	}
	f.stops = append(f.stops, in)
	return &ecs.StopTaskOutput{}, nil
}

func (f *fake) ListTasks(_ context.Context, in *ecs.ListTasksInput, _ ...func(*ecs.Options)) (*ecs.ListTasksOutput, error) {
	if err := f.call("ListTasks"); err != nil {
		return nil, err
	}
	return &ecs.ListTasksOutput{TaskArns: f.listed}, nil
}

func (f *fake) ExecuteCommand(_ context.Context, in *ecs.ExecuteCommandInput, _ ...func(*ecs.Options)) (*ecs.ExecuteCommandOutput, error) {
	if err := f.call("ExecuteCommand"); err != nil {
		return nil, err
	}
	f.execs = append(f.execs, in)
	return &ecs.ExecuteCommandOutput{
		ClusterArn: aws.String("arn:aws:ecs:us-east-1:111111111111:cluster/" + cluster), TaskArn: in.Task, ContainerName: in.Container,
		Session: &ecstypes.Session{SessionId: aws.String("ecs-execute-command-1"), StreamUrl: aws.String("wss://ssmmessages.example/1"), TokenValue: aws.String("token")},
	}, nil
}

func (f *fake) FilterLogEvents(_ context.Context, in *cloudwatchlogs.FilterLogEventsInput, _ ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.FilterLogEventsOutput, error) {
	if err := f.call("FilterLogEvents"); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	out := &cloudwatchlogs.FilterLogEventsOutput{}
	for _, e := range f.groupEvents[*in.LogGroupName] {
		if *e.Timestamp >= aws.ToInt64(in.StartTime) {
			out.Events = append(out.Events, e)
		}
	}
	return out, nil
}

func (f *fake) GetLogEvents(_ context.Context, in *cloudwatchlogs.GetLogEventsInput, _ ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.GetLogEventsOutput, error) {
	if err := f.call("GetLogEvents"); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	events, ok := f.streamEvents[*in.LogGroupName+" "+*in.LogStreamName]
	if !ok {
		return nil, &logstypes.ResourceNotFoundException{Message: aws.String("The specified log stream does not exist.")}
	}
	from := 0
	if in.NextToken != nil {
		fmt.Sscanf(*in.NextToken, "f/%d", &from)
	}
	return &cloudwatchlogs.GetLogEventsOutput{Events: events[from:], NextForwardToken: aws.String(fmt.Sprintf("f/%d", len(events)))}, nil
}

func (f *fake) GetMetricData(_ context.Context, in *cloudwatch.GetMetricDataInput, _ ...func(*cloudwatch.Options)) (*cloudwatch.GetMetricDataOutput, error) {
	if err := f.call("GetMetricData"); err != nil {
		return nil, err
	}
	out := &cloudwatch.GetMetricDataOutput{}
	for _, q := range in.MetricDataQueries {
		m := q.MetricStat.Metric
		r := cwtypes.MetricDataResult{Id: q.Id}
		dims := map[string]string{}
		for _, d := range m.Dimensions {
			dims[*d.Name] = *d.Value
		}
		if v, ok := f.depth[dims["Queue"]]; ok && *m.Namespace == "Celery" && *m.MetricName == "QueueDepth" && dims["Cluster"] == cluster {
			r.Values = []float64{v, 7}
		}
		out.MetricDataResults = append(out.MetricDataResults, r)
	}
	return out, nil
}

func (f *fake) DescribeAlarms(_ context.Context, in *cloudwatch.DescribeAlarmsInput, _ ...func(*cloudwatch.Options)) (*cloudwatch.DescribeAlarmsOutput, error) {
	if err := f.call("DescribeAlarms"); err != nil {
		return nil, err
	}
	out := &cloudwatch.DescribeAlarmsOutput{}
	for _, a := range f.alarms {
		if strings.HasPrefix(*a.AlarmName, *in.AlarmNamePrefix) && a.StateValue == in.StateValue {
			out.MetricAlarms = append(out.MetricAlarms, a)
		}
	}
	return out, nil
}

func (f *fake) BatchGetProjects(_ context.Context, in *codebuild.BatchGetProjectsInput, _ ...func(*codebuild.Options)) (*codebuild.BatchGetProjectsOutput, error) {
	if err := f.call("BatchGetProjects"); err != nil {
		return nil, err
	}
	if in.Names[0] != "myapp-dev-release" || f.projectEnv == nil {
		return &codebuild.BatchGetProjectsOutput{ProjectsNotFound: in.Names}, nil
	}
	env := &cbtypes.ProjectEnvironment{}
	for k, v := range f.projectEnv {
		env.EnvironmentVariables = append(env.EnvironmentVariables, cbtypes.EnvironmentVariable{Name: aws.String(k), Value: aws.String(v)})
	}
	return &codebuild.BatchGetProjectsOutput{Projects: []cbtypes.Project{{Name: aws.String(in.Names[0]), Environment: env}}}, nil
}

func (f *fake) StartBuild(_ context.Context, in *codebuild.StartBuildInput, _ ...func(*codebuild.Options)) (*codebuild.StartBuildOutput, error) {
	if err := f.call("StartBuild"); err != nil {
		return nil, err
	}
	f.starts = append(f.starts, in)
	return &codebuild.StartBuildOutput{Build: &cbtypes.Build{Id: aws.String("myapp-dev-release:b1")}}, nil
}

func (f *fake) BatchGetBuilds(context.Context, *codebuild.BatchGetBuildsInput, ...func(*codebuild.Options)) (*codebuild.BatchGetBuildsOutput, error) {
	if err := f.call("BatchGetBuilds"); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	b := f.builds[0]
	if len(f.builds) > 1 {
		f.builds = f.builds[1:]
	}
	return &codebuild.BatchGetBuildsOutput{Builds: []cbtypes.Build{b}}, nil
}

func (f *fake) ListPipelineExecutions(_ context.Context, in *codepipeline.ListPipelineExecutionsInput, _ ...func(*codepipeline.Options)) (*codepipeline.ListPipelineExecutionsOutput, error) {
	if err := f.call("ListPipelineExecutions"); err != nil {
		return nil, err
	}
	return &codepipeline.ListPipelineExecutionsOutput{PipelineExecutionSummaries: f.executions}, nil
}

func (f *fake) DescribeImages(_ context.Context, in *ecr.DescribeImagesInput, _ ...func(*ecr.Options)) (*ecr.DescribeImagesOutput, error) {
	if err := f.call("DescribeImages"); err != nil {
		return nil, err
	}
	if *in.RepositoryName != "myapp-dev-django" {
		return nil, &ecrtypes.RepositoryNotFoundException{Message: aws.String("no repository")}
	}
	if len(in.ImageIds) == 0 {
		return &ecr.DescribeImagesOutput{ImageDetails: f.images}, nil
	}
	for _, image := range f.images {
		for _, t := range image.ImageTags {
			if t == *in.ImageIds[0].ImageTag {
				return &ecr.DescribeImagesOutput{ImageDetails: []ecrtypes.ImageDetail{image}}, nil
			}
		}
	}
	return nil, &ecrtypes.ImageNotFoundException{Message: aws.String("no image")}
}

// configPath is the shipped cdk.json, or a copy changed by edit.
func configPath(t *testing.T, edit func(context map[string]any)) string {
	t.Helper()
	path, err := filepath.Abs("../../cdk.json")
	if err != nil || edit == nil {
		return path
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var file map[string]any
	if err := json.Unmarshal(data, &file); err != nil {
		t.Fatal(err)
	}
	edit(file["context"].(map[string]any))
	data, _ = json.Marshal(file)
	path = filepath.Join(t.TempDir(), "cdk.json")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// result is one run of the command.
type result struct {
	code        int
	out, stderr string
}

// run runs djangocdk command -e dev --config config args... against f.
func (f *fake) run(t *testing.T, ctx context.Context, config string, command string, args ...string) result {
	t.Helper()
	var out, errw bytes.Buffer
	full := append([]string{command, "-e", "dev", "--config", config}, args...)
	code := Main(ctx, full, &out, &errw, func(context.Context, *stacks.Config) (*Clients, error) {
		return &Clients{SSM: f, ECS: f, Logs: f, CloudWatch: f, CodeBuild: f, CodePipeline: f, ECR: f, STS: f,
			Region: "us-east-1", ECSEndpoint: "https://ecs.us-east-1.amazonaws.com", Profile: "ops"}, nil
	})
	return result{code, out.String(), errw.String()}
}

func TestMain(m *testing.M) {
	pollInterval = time.Millisecond
	// The command must never start the CDK's JavaScript runtime: reading
	// cdk.json is plain Go. A jsii call would fail on this node: jsii read
	// JSII_NODE when the aws-cdk-go packages initialized, and extracted its
	// runtime into TMPDIR; Close removes that (no node process runs yet),
	// and the next jsii call, if any, starts again with this environment.
	jsii.Close()
	os.Setenv("JSII_NODE", "/nonexistent/node")
	os.Exit(m.Run())
}

// wants fails t unless s contains each of subs.
func wants(t *testing.T, what, s string, subs ...string) {
	t.Helper()
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			t.Errorf("%s lacks %q:\n%s", what, sub, s)
		}
	}
}
