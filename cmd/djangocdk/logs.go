package main

import (
	"context"
	"flag"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
)

// logSource is the log group of one process.
type logSource struct {
	role, group string
	// since is the timestamp (ms) to read from; seen holds the ids of the
	// events read at since, which the next read returns again.
	since int64
	seen  map[string]bool
}

// logLine is one event of a process.
type logLine struct {
	at            int64
	role, stream  string
	message, id   string
	sourceIndexed int
}

// logs prints the CloudWatch Logs of the chosen processes, interleaved by
// time, and with --follow keeps printing until interrupted.
func (a *app) logs(ctx context.Context, fs *flag.FlagSet, args []string) error {
	services := fs.String("service", "", "processes, comma separated: web, beat, worker-<queue>, migrate (default: every service)")
	since := fs.Duration("since", 10*time.Minute, "how far back to start")
	follow := fs.Bool("follow", false, "keep printing new events until interrupted")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := a.connect(ctx); err != nil {
		return err
	}
	list := *services
	if list == "" {
		list = strings.Join(a.roles(false), ",")
	}
	roles, err := selectRoles(list, a.roles(true))
	if err != nil {
		return err
	}
	if *since <= 0 {
		return &exitError{2, fmt.Errorf("--since: %s is not a positive duration such as 10m or 2h", *since)}
	}
	sources, err := a.logSources(ctx, roles)
	if err != nil {
		return err
	}
	start := time.Now().Add(-*since).UnixMilli()
	for _, s := range sources {
		s.since, s.seen = start, map[string]bool{}
	}
	width := 0
	for _, r := range roles {
		width = max(width, len(r))
	}
	for {
		lines, err := a.readLogs(ctx, sources)
		if err != nil {
			if ctx.Err() != nil && *follow {
				return nil
			}
			return err
		}
		for _, l := range lines {
			fmt.Fprintf(a.out, "%s %-*s %s %s\n", time.UnixMilli(l.at).UTC().Format("2006-01-02T15:04:05.000Z"),
				width, l.role, shortStream(l.stream), strings.TrimRight(l.message, "\n"))
		}
		if !*follow {
			return nil
		}
		sleep(ctx, a.poll)
		if ctx.Err() != nil {
			return nil
		}
	}
}

// logSources finds the log group of each role: a service's current task
// definition's, or the migration family's newest revision's.
func (a *app) logSources(ctx context.Context, roles []string) ([]*logSource, error) {
	var cluster string
	var sources []*logSource
	groups := map[string]bool{}
	for _, role := range roles {
		var definition string
		if role == "migrate" {
			definition = a.cfg.StackName("migrate")
		} else {
			if cluster == "" {
				var err error
				if cluster, err = a.clusterName(ctx); err != nil {
					return nil, err
				}
			}
			name, err := a.serviceName(ctx, role)
			if err != nil {
				return nil, err
			}
			out, err := a.aws.ECS.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(cluster), Services: []string{name}})
			if err != nil {
				return nil, a.explain(err, "reading the service "+name)
			}
			if len(out.Services) == 0 {
				return nil, fmt.Errorf("the %s service %s is not in cluster %s: deploy the %s stack (npx cdk deploy --all -c env=%s)", role, name, cluster, a.cfg.StackName("compute"), a.cfg.Env)
			}
			definition = aws.ToString(out.Services[0].TaskDefinition)
		}
		td, err := a.taskDefinition(ctx, definition)
		if err != nil {
			return nil, err
		}
		target, err := containerLogs(td)
		if err != nil {
			return nil, err
		}
		if !groups[target.group] {
			groups[target.group] = true
			sources = append(sources, &logSource{role: role, group: target.group})
		}
	}
	return sources, nil
}

// readLogs returns the events of every source since its last read, sorted
// by time.
func (a *app) readLogs(ctx context.Context, sources []*logSource) ([]logLine, error) {
	var lines []logLine
	for i, s := range sources {
		var token *string
		newest, newestIDs := s.since, map[string]bool{}
		for k := range s.seen {
			newestIDs[k] = true
		}
		for {
			out, err := a.aws.Logs.FilterLogEvents(ctx, &cloudwatchlogs.FilterLogEventsInput{
				LogGroupName: aws.String(s.group), StartTime: aws.Int64(s.since), NextToken: token,
			})
			if err != nil {
				return nil, a.explain(err, "reading the log group "+s.group)
			}
			for _, e := range out.Events {
				id, at := aws.ToString(e.EventId), aws.ToInt64(e.Timestamp)
				if s.seen[id] {
					continue
				}
				lines = append(lines, logLine{at: at, role: s.role, stream: aws.ToString(e.LogStreamName), message: aws.ToString(e.Message), id: id, sourceIndexed: i})
				if at > newest {
					newest, newestIDs = at, map[string]bool{}
				}
				if at == newest {
					newestIDs[id] = true
				}
			}
			if out.NextToken == nil || aws.ToString(out.NextToken) == aws.ToString(token) {
				break
			}
			token = out.NextToken
		}
		s.since, s.seen = newest, newestIDs
	}
	sort.SliceStable(lines, func(i, j int) bool {
		if lines[i].at != lines[j].at {
			return lines[i].at < lines[j].at
		}
		return lines[i].sourceIndexed < lines[j].sourceIndexed
	})
	return lines, nil
}

// shortStream names a task by the first 8 characters of its id, from a
// stream named prefix/container/task-id.
func shortStream(stream string) string {
	id := stream[strings.LastIndex(stream, "/")+1:]
	if len(id) > 8 {
		id = id[:8]
	}
	return "[" + id + "]"
}
