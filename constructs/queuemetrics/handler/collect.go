package main

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
)

// Metric names published per queue, with dimensions Cluster and Queue.
const (
	QueueDepthMetric     = "QueueDepth"
	BacklogPerTaskMetric = "BacklogPerTask"
	OldestAgeMetric      = "OldestMessageAge"
	RunningTasksMetric   = "RunningTasks"
)

// Lengths reads the lengths of Redis lists.
type Lengths interface {
	Lengths(ctx context.Context, keys []string) ([]int64, error)
}

// Heads remembers the message at the head of each queue, to tell how long
// it has waited: Celery's messages carry no send time, so the age is the
// time since this function first saw the message at the head (to a minute).
type Heads interface {
	// Oldest returns an identity of the oldest message of list key ("" when empty).
	Oldest(ctx context.Context, key string) (string, error)
	// Seen returns when head was first seen at the head of queue, recording now if new.
	Seen(ctx context.Context, queue, head string, now time.Time) (time.Time, error)
}

// Services describes ECS services.
type Services interface {
	DescribeServices(ctx context.Context, in *ecs.DescribeServicesInput, opts ...func(*ecs.Options)) (*ecs.DescribeServicesOutput, error)
}

// Metrics publishes CloudWatch metrics.
type Metrics interface {
	PutMetricData(ctx context.Context, in *cloudwatch.PutMetricDataInput, opts ...func(*cloudwatch.Options)) (*cloudwatch.PutMetricDataOutput, error)
}

// Collector measures every queue once per call.
type Collector struct {
	Settings Settings
	Lengths  Lengths
	Heads    Heads
	Services Services
	Metrics  Metrics
	Now      func() time.Time
}

// Collect publishes each queue's depth, its backlog per running task and
// the running tasks of its service (which wakes a service scaled to zero).
// With no task running, the backlog per task is the whole depth, so that
// target tracking scales a stopped service out.
func (c *Collector) Collect(ctx context.Context) error {
	running, err := c.runningTasks(ctx)
	if err != nil {
		return err
	}
	var data []cwtypes.MetricDatum
	for _, q := range c.Settings.Queues {
		lengths, err := c.Lengths.Lengths(ctx, priorityKeys(q.Name))
		if err != nil {
			return fmt.Errorf("queue %s: %w", q.Name, err)
		}
		var depth int64
		for _, n := range lengths {
			depth += n
		}
		tasks := max(running[q.Service], 1)
		dims := []cwtypes.Dimension{
			{Name: aws.String("Cluster"), Value: aws.String(c.Settings.Cluster)},
			{Name: aws.String("Queue"), Value: aws.String(q.Name)},
		}
		age, err := c.oldestAge(ctx, q.Name)
		if err != nil {
			return fmt.Errorf("queue %s: %w", q.Name, err)
		}
		data = append(data,
			cwtypes.MetricDatum{MetricName: aws.String(QueueDepthMetric), Dimensions: dims, Value: aws.Float64(float64(depth)), Unit: cwtypes.StandardUnitCount},
			cwtypes.MetricDatum{MetricName: aws.String(BacklogPerTaskMetric), Dimensions: dims, Value: aws.Float64(float64(depth) / float64(tasks)), Unit: cwtypes.StandardUnitCount},
			cwtypes.MetricDatum{MetricName: aws.String(OldestAgeMetric), Dimensions: dims, Value: aws.Float64(age.Seconds()), Unit: cwtypes.StandardUnitSeconds},
			cwtypes.MetricDatum{MetricName: aws.String(RunningTasksMetric), Dimensions: dims, Value: aws.Float64(float64(running[q.Service])), Unit: cwtypes.StandardUnitCount},
		)
	}
	for start := 0; start < len(data); start += 1000 { // PutMetricData takes at most 1000 data
		end := min(start+1000, len(data))
		if _, err := c.Metrics.PutMetricData(ctx, &cloudwatch.PutMetricDataInput{
			Namespace:  aws.String(c.Settings.Namespace),
			MetricData: data[start:end],
		}); err != nil {
			return fmt.Errorf("publishing metrics: %w", err)
		}
	}
	return nil
}

// oldestAge is how long the message at the head of queue's default
// priority list has been there, as far as this function has seen.
func (c *Collector) oldestAge(ctx context.Context, queue string) (time.Duration, error) {
	head, err := c.Heads.Oldest(ctx, queue)
	if err != nil || head == "" {
		return 0, err
	}
	now := c.Now()
	since, err := c.Heads.Seen(ctx, queue, head, now)
	if err != nil {
		return 0, err
	}
	return now.Sub(since), nil
}

// runningTasks returns the running task count of each worker service.
func (c *Collector) runningTasks(ctx context.Context) (map[string]int64, error) {
	var names []string
	for _, q := range c.Settings.Queues {
		names = append(names, q.Service)
	}
	running := map[string]int64{}
	for start := 0; start < len(names); start += 10 { // DescribeServices takes at most 10
		end := min(start+10, len(names))
		out, err := c.Services.DescribeServices(ctx, &ecs.DescribeServicesInput{
			Cluster:  aws.String(c.Settings.Cluster),
			Services: names[start:end],
		})
		if err != nil {
			return nil, fmt.Errorf("describing worker services: %w", err)
		}
		for _, s := range out.Services {
			running[aws.ToString(s.ServiceName)] = int64(s.RunningCount)
		}
	}
	return running, nil
}
