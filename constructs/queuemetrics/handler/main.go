// Command handler is the Lambda function of package queuemetrics: every
// minute it measures the backlog of each Celery queue on Redis (or Valkey),
// which has no CloudWatch metric of its own, and publishes it with the
// backlog per running worker task, the signal the workers scale on.
package main

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log"
	"os"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/redis/go-redis/v9"
)

// Queue pairs a Celery queue with the ECS service whose tasks consume it.
type Queue struct {
	Name    string `json:"queue"`
	Service string `json:"service"`
}

// Settings are read from the function's environment.
type Settings struct {
	RedisAddr      string  // host:port
	RedisSecretArn string  // secret whose "password" field is the AUTH token
	Cluster        string  // ECS cluster of the worker services
	Namespace      string  // CloudWatch namespace
	Queues         []Queue // queues and their services
}

func settingsFromEnv() (Settings, error) {
	s := Settings{
		RedisAddr:      os.Getenv("REDIS_HOST") + ":" + os.Getenv("REDIS_PORT"),
		RedisSecretArn: os.Getenv("REDIS_SECRET_ARN"),
		Cluster:        os.Getenv("CLUSTER"),
		Namespace:      os.Getenv("METRIC_NAMESPACE"),
	}
	if err := json.Unmarshal([]byte(os.Getenv("QUEUES")), &s.Queues); err != nil {
		return s, fmt.Errorf("QUEUES: %w", err)
	}
	return s, nil
}

func main() {
	settings, err := settingsFromEnv()
	if err != nil {
		log.Fatal(err)
	}
	c, err := newCollector(context.Background(), settings)
	if err != nil {
		log.Fatal(err)
	}
	lambda.Start(func(ctx context.Context) error { return c.Collect(ctx) })
}

// newCollector connects the Collector to AWS and to Redis with the AUTH
// token from Secrets Manager (TLS verified against the system roots).
func newCollector(ctx context.Context, settings Settings) (*Collector, error) {
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, err
	}
	password, err := authToken(ctx, secretsmanager.NewFromConfig(cfg), settings.RedisSecretArn)
	if err != nil {
		return nil, err
	}
	client := redis.NewClient(&redis.Options{
		Addr:      settings.RedisAddr,
		Password:  password,
		TLSConfig: &tls.Config{MinVersion: tls.VersionTLS12},
	})
	return &Collector{
		Settings: settings,
		Lengths:  redisLengths{client},
		Heads:    redisHeads{client},
		Now:      time.Now,
		Services: ecs.NewFromConfig(cfg),
		Metrics:  cloudwatch.NewFromConfig(cfg),
	}, nil
}

func authToken(ctx context.Context, sm *secretsmanager.Client, arn string) (string, error) {
	out, err := sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(arn)})
	if err != nil {
		return "", fmt.Errorf("reading the cache AUTH token: %w", err)
	}
	var fields struct {
		Password string `json:"password"`
	}
	if err := json.Unmarshal([]byte(aws.ToString(out.SecretString)), &fields); err != nil {
		return "", fmt.Errorf("the cache secret is not JSON with a password field: %w", err)
	}
	return fields.Password, nil
}

// redisLengths reads list lengths with go-redis.
type redisLengths struct{ client *redis.Client }

func (r redisLengths) Lengths(ctx context.Context, keys []string) ([]int64, error) {
	pipe := r.client.Pipeline()
	cmds := make([]*redis.IntCmd, len(keys))
	for i, key := range keys {
		cmds[i] = pipe.LLen(ctx, key)
	}
	if _, err := pipe.Exec(ctx); err != nil && err != redis.Nil {
		return nil, err
	}
	out := make([]int64, len(keys))
	for i, cmd := range cmds {
		out[i] = cmd.Val()
	}
	return out, nil
}

// redisHeads keeps the first sighting of each queue's head message in Redis.
type redisHeads struct{ client *redis.Client }

// Oldest returns a hash of the oldest message: kombu pushes on the left
// and workers pop on the right, so it is the last element.
func (r redisHeads) Oldest(ctx context.Context, key string) (string, error) {
	msg, err := r.client.LIndex(ctx, key, -1).Result()
	if err == redis.Nil {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256([]byte(msg))
	return hex.EncodeToString(sum[:8]), nil
}

// Seen records under djangocdk:queuemetrics:<queue> the head and when it
// was first seen, and returns that time.
func (r redisHeads) Seen(ctx context.Context, queue, head string, now time.Time) (time.Time, error) {
	key := "djangocdk:queuemetrics:" + queue
	stored, err := r.client.HGetAll(ctx, key).Result()
	if err != nil {
		return now, err
	}
	if stored["head"] == head {
		if unix, err := strconv.ParseInt(stored["since"], 10, 64); err == nil {
			return time.Unix(unix, 0), nil
		}
	}
	err = r.client.HSet(ctx, key, "head", head, "since", strconv.FormatInt(now.Unix(), 10)).Err()
	return now, err
}

// priorityKeys are the Redis lists that hold one Celery queue: kombu's
// Redis transport keeps a list per priority step (default steps 0, 3, 6, 9),
// the first under the queue's own name.
func priorityKeys(queue string) []string {
	keys := []string{queue}
	for _, step := range []int{3, 6, 9} {
		keys = append(keys, queue+"\x06\x16"+strconv.Itoa(step))
	}
	return keys
}
