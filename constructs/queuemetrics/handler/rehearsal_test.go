package main

import (
	"context"
	"encoding/json"
	"os"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
)

// TestRehearsal runs the function's code once as the Lambda would: settings
// from the environment, the AUTH token from Secrets Manager (an endpoint
// given by AWS_ENDPOINT_URL_SECRETSMANAGER), a real Redis over TLS. Only ECS
// (no task running) and CloudWatch (recorded, written as JSON to
// QUEUEMETRICS_REHEARSAL_OUT) are replaced. scripts/rehearse runs it; it is
// skipped otherwise.
func TestRehearsal(t *testing.T) {
	out := os.Getenv("QUEUEMETRICS_REHEARSAL_OUT")
	if out == "" {
		t.Skip("run by scripts/rehearse against a local Redis")
	}
	ctx := context.Background()
	settings, err := settingsFromEnv()
	if err != nil {
		t.Fatal(err)
	}
	c, err := newCollector(ctx, settings)
	if err != nil {
		t.Fatal(err)
	}
	recorder := &recordedMetrics{}
	c.Services = noRunningTasks{}
	c.Metrics = recorder
	if err := c.Collect(ctx); err != nil {
		t.Fatal(err)
	}
	data, err := json.Marshal(recorder.data)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(out, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

type noRunningTasks struct{}

func (noRunningTasks) DescribeServices(context.Context, *ecs.DescribeServicesInput, ...func(*ecs.Options)) (*ecs.DescribeServicesOutput, error) {
	return &ecs.DescribeServicesOutput{}, nil
}

type recordedDatum struct {
	Namespace  string            `json:"namespace"`
	Metric     string            `json:"metric"`
	Dimensions map[string]string `json:"dimensions"`
	Value      float64           `json:"value"`
}

type recordedMetrics struct{ data []recordedDatum }

func (r *recordedMetrics) PutMetricData(_ context.Context, in *cloudwatch.PutMetricDataInput, _ ...func(*cloudwatch.Options)) (*cloudwatch.PutMetricDataOutput, error) {
	for _, d := range in.MetricData {
		dims := map[string]string{}
		for _, dim := range d.Dimensions {
			dims[aws.ToString(dim.Name)] = aws.ToString(dim.Value)
		}
		r.data = append(r.data, recordedDatum{aws.ToString(in.Namespace), aws.ToString(d.MetricName), dims, aws.ToFloat64(d.Value)})
	}
	return &cloudwatch.PutMetricDataOutput{}, nil
}
