package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/codepipeline"
	cptypes "github.com/aws/aws-sdk-go-v2/service/codepipeline/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/djangocdk/djangocdk/constructs/queuemetrics"
	"github.com/djangocdk/djangocdk/stacks"
)

// Status is what status reports (and prints with --json).
type Status struct {
	Environment string `json:"environment"`
	// ReleasedTag is the image tag parameter's value.
	ReleasedTag string          `json:"releasedTag"`
	Services    []ServiceStatus `json:"services"`
	Queues      []QueueStatus   `json:"queues"`
	// Alarms are the environment's alarms in state ALARM.
	Alarms   []AlarmStatus   `json:"alarms"`
	Pipeline *PipelineStatus `json:"pipeline"`
	Now      time.Time       `json:"checkedAt"`
}

// ServiceStatus is one ECS service.
type ServiceStatus struct {
	Role         string `json:"role"`
	Name         string `json:"name"`
	ImageTag     string `json:"imageTag"`
	Running      int32  `json:"running"`
	Desired      int32  `json:"desired"`
	Pending      int32  `json:"pending"`
	Deployment   string `json:"deployment"`
	DeployingTag string `json:"deployingTag,omitempty"`
}

// QueueStatus is one Celery queue's latest depth; Depth is nil without data.
type QueueStatus struct {
	Name  string   `json:"name"`
	Depth *float64 `json:"depth"`
}

// AlarmStatus is one alarm in state ALARM.
type AlarmStatus struct {
	Name   string    `json:"name"`
	Reason string    `json:"reason"`
	Since  time.Time `json:"since"`
}

// PipelineStatus is the pipeline's last execution.
type PipelineStatus struct {
	Name      string    `json:"name"`
	Execution string    `json:"executionId,omitempty"`
	Status    string    `json:"status,omitempty"`
	Commit    string    `json:"commit,omitempty"`
	Started   time.Time `json:"started,omitzero"`
}

// status prints the environment's state.
func (a *app) status(ctx context.Context, fs *flag.FlagSet, args []string) error {
	asJSON := fs.Bool("json", false, "print the status as JSON")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := a.connect(ctx); err != nil {
		return err
	}
	s := &Status{Environment: a.cfg.Env, Now: time.Now().UTC()}
	var err error
	if s.ReleasedTag, err = a.parameter(ctx, stacks.ImageTagParameterName(a.cfg), stacks.RegistryLayer); err != nil {
		return err
	}
	cluster, err := a.clusterName(ctx)
	if err != nil {
		return err
	}
	for _, step := range []func(context.Context, *Status, string) error{a.serviceStatus, a.queueStatus, a.alarmStatus, a.pipelineStatus} {
		if err := step(ctx, s, cluster); err != nil {
			return err
		}
	}
	if *asJSON {
		return a.printJSON(s)
	}
	a.printStatus(s)
	return nil
}

func (a *app) serviceStatus(ctx context.Context, s *Status, cluster string) error {
	tags := map[string]string{} // task definition ARN -> image tag
	tagOf := func(definition string) (string, error) {
		if tag, ok := tags[definition]; ok {
			return tag, nil
		}
		td, err := a.taskDefinition(ctx, definition)
		if err != nil {
			return "", err
		}
		c, err := djangoContainer(td)
		if err != nil {
			return "", err
		}
		tags[definition] = imageTagOf(aws.ToString(c.Image))
		return tags[definition], nil
	}
	for _, role := range a.cfg.ServiceRoles() {
		name, err := a.serviceName(ctx, role)
		if err != nil {
			return err
		}
		out, err := a.aws.ECS.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(cluster), Services: []string{name}})
		if err != nil {
			return a.explain(err, "reading the service "+name)
		}
		if len(out.Services) == 0 {
			return fmt.Errorf("the %s service %s is not in cluster %s: deploy the %s stack (npx cdk deploy --all -c env=%s)", role, name, cluster, a.cfg.StackName(stacks.ComputeLayer), a.cfg.Env)
		}
		svc := out.Services[0]
		st := ServiceStatus{Role: role, Name: name, Running: svc.RunningCount, Desired: svc.DesiredCount, Pending: svc.PendingCount, Deployment: "steady"}
		if st.ImageTag, err = tagOf(aws.ToString(svc.TaskDefinition)); err != nil {
			return err
		}
		for _, d := range svc.Deployments {
			if aws.ToString(d.Status) != "PRIMARY" {
				continue
			}
			if tag, err := tagOf(aws.ToString(d.TaskDefinition)); err != nil {
				return err
			} else if len(svc.Deployments) > 1 || d.RolloutState == "IN_PROGRESS" {
				st.Deployment = fmt.Sprintf("%s (%d/%d on the new tasks)", strings.ToLower(string(d.RolloutState)), d.RunningCount, d.DesiredCount)
				st.DeployingTag = tag
			} else if d.RolloutState == "FAILED" {
				st.Deployment = "failed: " + aws.ToString(d.RolloutStateReason)
			}
		}
		s.Services = append(s.Services, st)
	}
	return nil
}

func (a *app) queueStatus(ctx context.Context, s *Status, cluster string) error {
	var queries []cwtypes.MetricDataQuery
	for i, q := range a.cfg.Compute.Queues {
		queries = append(queries, cwtypes.MetricDataQuery{
			Id: aws.String(fmt.Sprintf("q%d", i)),
			MetricStat: &cwtypes.MetricStat{
				Metric: &cwtypes.Metric{
					Namespace: aws.String(queuemetrics.DefaultNamespace), MetricName: aws.String(queuemetrics.QueueDepthMetric),
					Dimensions: []cwtypes.Dimension{{Name: aws.String("Cluster"), Value: aws.String(cluster)}, {Name: aws.String("Queue"), Value: aws.String(q.Name)}},
				},
				Period: aws.Int32(60), Stat: aws.String("Average"),
			},
		})
	}
	out, err := a.aws.CloudWatch.GetMetricData(ctx, &cloudwatch.GetMetricDataInput{
		MetricDataQueries: queries, StartTime: aws.Time(s.Now.Add(-15 * time.Minute)), EndTime: aws.Time(s.Now),
		ScanBy: cwtypes.ScanByTimestampDescending,
	})
	if err != nil {
		return a.explain(err, "reading the queue depth metrics")
	}
	latest := map[string]float64{}
	for _, r := range out.MetricDataResults {
		if len(r.Values) > 0 {
			latest[aws.ToString(r.Id)] = r.Values[0] // newest first
		}
	}
	for i, q := range a.cfg.Compute.Queues {
		st := QueueStatus{Name: q.Name}
		if v, ok := latest[fmt.Sprintf("q%d", i)]; ok {
			st.Depth = &v
		}
		s.Queues = append(s.Queues, st)
	}
	return nil
}

func (a *app) alarmStatus(ctx context.Context, s *Status, _ string) error {
	s.Alarms = []AlarmStatus{}
	var token *string
	for {
		out, err := a.aws.CloudWatch.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{
			AlarmNamePrefix: aws.String(a.cfg.Project + "-" + a.cfg.Env + "-"),
			StateValue:      cwtypes.StateValueAlarm,
			NextToken:       token,
		})
		if err != nil {
			return a.explain(err, "reading the alarms")
		}
		for _, m := range out.MetricAlarms {
			s.Alarms = append(s.Alarms, AlarmStatus{Name: aws.ToString(m.AlarmName), Reason: aws.ToString(m.StateReason), Since: aws.ToTime(m.StateUpdatedTimestamp)})
		}
		if token = out.NextToken; token == nil {
			return nil
		}
	}
}

func (a *app) pipelineStatus(ctx context.Context, s *Status, _ string) error {
	name, err := a.parameter(ctx, stacks.SharedParameterName(a.cfg, stacks.PipelineLayer, stacks.PipelineNameKey), stacks.PipelineLayer)
	if err != nil {
		return err
	}
	s.Pipeline = &PipelineStatus{Name: name}
	out, err := a.aws.CodePipeline.ListPipelineExecutions(ctx, &codepipeline.ListPipelineExecutionsInput{PipelineName: aws.String(name), MaxResults: aws.Int32(1)})
	var missing *cptypes.PipelineNotFoundException
	if errors.As(err, &missing) {
		return fmt.Errorf("the pipeline %s is not in account %s: deploy the %s stack (npx cdk deploy --all -c env=%s)", name, a.cfg.Account, a.cfg.StackName(stacks.PipelineLayer), a.cfg.Env)
	}
	if err != nil {
		return a.explain(err, "reading the executions of the pipeline "+name)
	}
	if len(out.PipelineExecutionSummaries) > 0 {
		e := out.PipelineExecutionSummaries[0]
		s.Pipeline.Execution, s.Pipeline.Status, s.Pipeline.Started = aws.ToString(e.PipelineExecutionId), string(e.Status), aws.ToTime(e.StartTime)
		if len(e.SourceRevisions) > 0 {
			s.Pipeline.Commit = aws.ToString(e.SourceRevisions[0].RevisionId)
		}
	}
	return nil
}

func (a *app) printStatus(s *Status) {
	w := tabwriter.NewWriter(a.out, 0, 4, 2, ' ', 0)
	fmt.Fprintf(w, "environment %s, released image tag %s\n\n", s.Environment, s.ReleasedTag)
	fmt.Fprintln(w, "SERVICE\tIMAGE TAG\tRUNNING/DESIRED\tPENDING\tDEPLOYMENT")
	for _, v := range s.Services {
		deployment := v.Deployment
		if v.DeployingTag != "" {
			deployment += " to " + v.DeployingTag
		}
		fmt.Fprintf(w, "%s\t%s\t%d/%d\t%d\t%s\n", v.Role, v.ImageTag, v.Running, v.Desired, v.Pending, deployment)
	}
	fmt.Fprintln(w, "\nQUEUE\tDEPTH")
	for _, q := range s.Queues {
		depth := "no data (15 min)"
		if q.Depth != nil {
			depth = fmt.Sprintf("%g", *q.Depth)
		}
		fmt.Fprintf(w, "%s\t%s\n", q.Name, depth)
	}
	w.Flush()
	if len(s.Alarms) == 0 {
		fmt.Fprintln(a.out, "\nalarms: none in ALARM")
	} else {
		fmt.Fprintf(a.out, "\nalarms in ALARM (%d):\n", len(s.Alarms))
		for _, al := range s.Alarms {
			fmt.Fprintf(a.out, "  %s since %s: %s\n", al.Name, al.Since.UTC().Format(time.RFC3339), al.Reason)
		}
	}
	p := s.Pipeline
	if p.Execution == "" {
		fmt.Fprintf(a.out, "\npipeline %s: never ran\n", p.Name)
		return
	}
	fmt.Fprintf(a.out, "\npipeline %s: last execution %s %s, commit %s, started %s\n", p.Name, p.Execution, p.Status, p.Commit, p.Started.UTC().Format(time.RFC3339))
}
