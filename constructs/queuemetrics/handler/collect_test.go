package main

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

type fakeRedis map[string]int64

func (f fakeRedis) Lengths(_ context.Context, keys []string) ([]int64, error) {
	out := make([]int64, len(keys))
	for i, k := range keys {
		out[i] = f[k]
	}
	return out, nil
}

// fakeHeads: "default" has had the same head for 90 s; "emails" a new one.
type fakeHeads struct{ seen map[string]time.Time }

func (f fakeHeads) Oldest(_ context.Context, key string) (string, error) {
	return map[string]string{"default": "m1", "emails": "m9"}[key], nil
}

func (f fakeHeads) Seen(_ context.Context, queue, head string, now time.Time) (time.Time, error) {
	if t, ok := f.seen[queue+"/"+head]; ok {
		return t, nil
	}
	f.seen[queue+"/"+head] = now
	return now, nil
}

type fakeECS map[string]int32

func (f fakeECS) DescribeServices(_ context.Context, in *ecs.DescribeServicesInput, _ ...func(*ecs.Options)) (*ecs.DescribeServicesOutput, error) {
	out := &ecs.DescribeServicesOutput{}
	for _, name := range in.Services {
		if n, ok := f[name]; ok {
			out.Services = append(out.Services, ecstypes.Service{ServiceName: aws.String(name), RunningCount: n})
		}
	}
	return out, nil
}

type fakeCloudWatch struct{ got map[string]float64 }

func (f *fakeCloudWatch) PutMetricData(_ context.Context, in *cloudwatch.PutMetricDataInput, _ ...func(*cloudwatch.Options)) (*cloudwatch.PutMetricDataOutput, error) {
	if aws.ToString(in.Namespace) != "Celery" {
		return nil, errors.New("wrong namespace " + aws.ToString(in.Namespace))
	}
	for _, d := range in.MetricData {
		queue := ""
		for _, dim := range d.Dimensions {
			if aws.ToString(dim.Name) == "Queue" {
				queue = aws.ToString(dim.Value)
			}
		}
		f.got[fmt.Sprintf("%s/%s", aws.ToString(d.MetricName), queue)] = aws.ToFloat64(d.Value)
	}
	return nil, nil
}

func TestCollect(t *testing.T) {
	cw := &fakeCloudWatch{got: map[string]float64{}}
	now := time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)
	c := &Collector{
		Settings: Settings{Cluster: "app", Namespace: "Celery", Queues: []Queue{
			{Name: "default", Service: "app-worker-default"},
			{Name: "emails", Service: "app-worker-emails"},
		}},
		// default: 30 messages at priority 0 and 10 at step 6; emails: 7, no task running.
		Lengths:  fakeRedis{"default": 30, "default\x06\x166": 10, "emails": 7},
		Services: fakeECS{"app-worker-default": 4, "app-worker-emails": 0},
		Metrics:  cw,
		Heads:    fakeHeads{seen: map[string]time.Time{"default/m1": now.Add(-90 * time.Second)}},
		Now:      func() time.Time { return now },
	}
	if err := c.Collect(context.Background()); err != nil {
		t.Fatal(err)
	}
	want := map[string]float64{
		"QueueDepth/default": 40, "BacklogPerTask/default": 10,
		"QueueDepth/emails": 7, "BacklogPerTask/emails": 7,
		"OldestMessageAge/default": 90, "OldestMessageAge/emails": 0,
		"RunningTasks/default": 4, "RunningTasks/emails": 0,
	}
	if fmt.Sprint(cw.got) != fmt.Sprint(want) {
		t.Errorf("published %v, want %v", cw.got, want)
	}
}

func TestPriorityKeys(t *testing.T) {
	got := fmt.Sprintf("%q", priorityKeys("q"))
	if want := `["q" "q\x06\x163" "q\x06\x166" "q\x06\x169"]`; got != want {
		t.Errorf("priorityKeys = %s, want %s", got, want)
	}
}
