// Package fakeaws stands in for the aws, docker, sleep and date commands
// when the release scripts run under test (scripts_test.go builds ./cmd and
// links it under those names). It keeps a small AWS account in a JSON file
// ($FAKE_WORLD) between calls and answers the calls the scripts make:
//
//   - time is a fake clock: sleep N advances it by N, date +%s reads it;
//   - what CloudFormation and ECS report follows timelines relative to the
//     update-stack (or cancel-update-stack) call, so the answers depend on
//     when the scripts ask, not on how often;
//   - --query is answered from a table of the exact queries the scripts use
//     (an unknown query fails loudly), and --output text is formatted as the
//     AWS CLI does for flat lists and scalars.
//
// Every call is appended to $FAKE_LOG as "name args", followed by " => " and
// the answer for calls with --query.
package fakeaws

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// World is the fake account. The test writes it before running a script and
// reads it afterwards.
type World struct {
	Now int // the clock, in seconds

	Images     []string          // the tags in the ECR repository, one image each
	Added      map[string]string // tags put-image added to an existing image: the tag it was found by
	Parameters map[string]string // SSM parameters

	Stack Stack

	TaskDefinitions []TaskDefinition
	Runs            map[string]Run // by task definition family: what run-task does
	Tasks           []*Task        // started tasks (and tasks left running before the script)

	Services map[string]*Service // by name

	Fail   map[string]string // a call whose "name args" contains the key fails with that message
	Signal *Signal           // send SIGTERM to the script under test on this call
}

type Stack struct {
	Name          string
	ParameterKeys []string
	Status        string  // before any update
	AfterUpdate   []Phase // after update-stack (At: seconds after the call); empty: UPDATE_COMPLETE at once
	AfterCancel   []Phase // after cancel-update-stack; empty: UPDATE_ROLLBACK_COMPLETE at once
	NoChanges     bool    // update-stack answers "No updates are to be performed."
	// Parameters that update-stack writes (CloudFormation's SSM provider
	// writing a template value).
	WritesParameters map[string]string

	UpdatedAt, CancelledAt *int
}

type Phase struct {
	At     int
	Status string
}

type TaskDefinition struct {
	Family     string
	Revision   int
	Definition map[string]any // as describe-task-definition returns it
}

type Run struct {
	Failure  string // run-task starts no task and reports this reason
	Duration int    // seconds from start to STOPPED
	ExitCode *int   // nil: the container never ran
	Reason   string // the stopped reason
}

type Task struct {
	Arn, Family, StartedBy, Definition string
	StartedAt, Duration                int
	ExitCode                           *int
	Reason                             string
	StoppedBy                          string // the stop-task reason
	StoppedAt                          *int
}

type Service struct {
	LoadBalanced bool
	MinCapacity  *int // the scalable target's; nil: no scalable target
	// What describe-services reports, At seconds after update-stack (or
	// from the start when there is none); the last phase whose At has
	// passed applies.
	Phases []ServicePhase
}

type ServicePhase struct {
	At                        int
	Image                     string
	Desired, Running, Healthy int
	Deployments               int    // 0 means 1
	Rollout                   string // "" means COMPLETED
}

type Signal struct {
	Call  string // the first call containing this, after Skip such calls
	Skip  int
	Count int // how many matching calls were seen
}

// Main is the fake command: it answers one call as os.Args asks.
func Main() {
	name := filepath.Base(os.Args[0])
	args := os.Args[1:]
	worldFile := os.Getenv("FAKE_WORLD")
	// Scripts run fakes concurrently (aws ... | docker login): one at a
	// time may read and write the world. The lock goes with the process; a
	// fake reading a pipe drains it first, or the writer could wait on the
	// lock while the reader waits on it.
	if name == "docker" && index(args, "--password-stdin") >= 0 {
		io.Copy(io.Discard, os.Stdin)
	}
	if lock, err := os.OpenFile(worldFile+".lock", os.O_CREATE|os.O_RDWR, 0o644); err == nil {
		syscall.Flock(int(lock.Fd()), syscall.LOCK_EX)
	}
	data, err := os.ReadFile(worldFile)
	if err != nil {
		fatal("fake %s: no world: %v", name, err)
	}
	var w World
	if err := json.Unmarshal(data, &w); err != nil {
		fatal("fake %s: world: %v", name, err)
	}
	line := strings.TrimSpace(name + " " + strings.Join(args, " "))
	out, code := w.call(name, args, line)
	logLine := line
	if i := index(args, "--query"); i >= 0 {
		logLine += " => " + strings.ReplaceAll(strings.TrimSpace(out), "\n", `\n`)
	}
	appendLog(logLine)
	data, err = json.MarshalIndent(&w, "", "  ")
	if err != nil {
		fatal("fake %s: %v", name, err)
	}
	// Written aside, then renamed: a reader never sees half a world.
	if err := os.WriteFile(worldFile+".new", data, 0o644); err != nil {
		fatal("fake %s: %v", name, err)
	}
	if err := os.Rename(worldFile+".new", worldFile); err != nil {
		fatal("fake %s: %v", name, err)
	}
	if code != 0 {
		fmt.Fprint(os.Stderr, out)
	} else {
		fmt.Print(out)
	}
	if w.Signal != nil && strings.Contains(line, w.Signal.Call) && w.Signal.Count == w.Signal.Skip+1 {
		// The script under test leads its process group (the test starts it so).
		syscall.Kill(syscall.Getpgrp(), syscall.SIGTERM)
	}
	os.Exit(code)
}

func fatal(format string, a ...any) {
	fmt.Fprintf(os.Stderr, format+"\n", a...)
	appendLog(fmt.Sprintf("FAKE ERROR: "+format, a...))
	os.Exit(99)
}

func appendLog(line string) {
	f, err := os.OpenFile(os.Getenv("FAKE_LOG"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return
	}
	defer f.Close()
	fmt.Fprintln(f, line)
}

func index(args []string, flag string) int {
	for i, a := range args {
		if a == flag {
			return i
		}
	}
	return -1
}

// flag returns the value after flag, or "".
func flag(args []string, name string) string {
	if i := index(args, name); i >= 0 && i+1 < len(args) {
		return args[i+1]
	}
	return ""
}

// call answers one command: its standard output (or error message) and its
// exit code.
func (w *World) call(name string, args []string, line string) (string, int) {
	if w.Signal != nil && strings.Contains(line, w.Signal.Call) {
		w.Signal.Count++
	}
	for k, msg := range w.Fail {
		if strings.Contains(line, k) {
			return msg + "\n", 1
		}
	}
	switch name {
	case "sleep":
		n, _ := strconv.Atoi(args[0])
		w.Now += n
		return "", 0
	case "date":
		if len(args) == 1 && args[0] == "+%s" {
			return strconv.Itoa(w.Now) + "\n", 0
		}
		if len(args) == 2 && args[0] == "-u" && args[1] == "+%Y%m%d%H%M%S" {
			return time.Unix(int64(w.Now), 0).UTC().Format("20060102150405") + "\n", 0
		}
		fatal("fake date: only +%%s and -u +%%Y%%m%%d%%H%%M%%S, not %v", args)
	case "docker":
		return "", 0
	case "aws":
		if len(args) < 2 {
			fatal("fake aws: %v", args)
		}
		resp, err := w.aws(args[0]+" "+args[1], args[2:])
		if err != "" {
			return "An error occurred when calling " + args[1] + ": " + err + "\n", 254
		}
		return output(args, resp), 0
	}
	fatal("fake: unknown command %s", name)
	return "", 0
}

func (w *World) aws(op string, args []string) (any, string) {
	switch op {
	case "ecr get-login-password":
		return "password", ""
	case "ecr describe-images":
		tag := strings.TrimPrefix(flag(args, "--image-ids"), "imageTag=")
		for _, t := range w.Images {
			if t == tag {
				return obj{"imageDetails": list{obj{"imageTags": list{tag}, "imageDigest": "sha256:0123"}}}, ""
			}
		}
		return nil, "ImageNotFoundException: The image with imageId {imageTag:'" + tag + "'} does not exist"
	case "ecr batch-get-image":
		tag := strings.TrimPrefix(flag(args, "--image-ids"), "imageTag=")
		if !w.hasImage(tag) {
			return obj{"images": list{}, "failures": list{obj{"imageId": obj{"imageTag": tag}, "failureCode": "ImageNotFound", "failureReason": "Requested image not found"}}}, ""
		}
		manifest, mediaType := ImageIndex(w.source(tag)), IndexMediaType
		if !contains(values(args, "--accepted-media-types"), IndexMediaType) {
			// ECR answers with one platform's manifest: another image.
			manifest, mediaType = PlatformManifest(w.source(tag)), "application/vnd.oci.image.manifest.v1+json"
		}
		return obj{"images": list{obj{"registryId": "1", "repositoryName": flag(args, "--repository-name"),
			"imageId": obj{"imageTag": tag, "imageDigest": Digest(manifest)}, "imageManifest": manifest, "imageManifestMediaType": mediaType}},
			"failures": list{}}, ""
	case "ecr put-image":
		manifest, tag, digest := flag(args, "--image-manifest"), flag(args, "--image-tag"), flag(args, "--image-digest")
		if manifest == "" || tag == "" {
			fatal("fake aws: put-image needs --image-manifest and --image-tag: %v", args)
		}
		if flag(args, "--image-manifest-media-type") == "" {
			fatal("fake aws: put-image without --image-manifest-media-type: %v", args)
		}
		if digest != "" && digest != Digest(manifest) {
			return nil, "ImageDigestDoesNotMatchException: Invalid parameter at 'imageDigest' failed to satisfy constraint: 'Digest does not match the manifest'"
		}
		if w.hasImage(tag) {
			return nil, "ImageTagAlreadyExistsException: The image tag '" + tag + "' already exists in the '" + flag(args, "--repository-name") + "' repository and cannot be overwritten because the tag is immutable."
		}
		source := ""
		for _, t := range w.Images {
			if ImageIndex(w.source(t)) == manifest {
				source = w.source(t)
			}
		}
		if source == "" {
			fatal("fake aws: put-image of a manifest that no tagged image has (a new image, not a second tag): %q", manifest)
		}
		w.Images = append(w.Images, tag)
		if w.Added == nil {
			w.Added = map[string]string{}
		}
		w.Added[tag] = source
		return obj{"image": obj{"registryId": "1", "repositoryName": flag(args, "--repository-name"),
			"imageId": obj{"imageTag": tag, "imageDigest": Digest(manifest)}, "imageManifest": manifest}}, ""

	case "ssm get-parameter":
		name := flag(args, "--name")
		v, ok := w.Parameters[name]
		if !ok {
			return nil, "ParameterNotFound"
		}
		return obj{"Parameter": obj{"Name": name, "Value": v}}, ""
	case "ssm put-parameter":
		w.Parameters[flag(args, "--name")] = flag(args, "--value")
		return obj{"Version": 2}, ""

	case "cloudformation describe-stacks":
		parameters := list{}
		for _, k := range w.Stack.ParameterKeys {
			parameters = append(parameters, obj{"ParameterKey": k, "ParameterValue": "v"})
		}
		return obj{"Stacks": list{obj{"StackName": w.Stack.Name, "StackStatus": w.stackStatus(), "Parameters": parameters}}}, ""
	case "cloudformation update-stack":
		if s := w.stackStatus(); strings.HasSuffix(s, "_IN_PROGRESS") {
			return nil, "ValidationError: Stack " + w.Stack.Name + " is in " + s + " state and can not be updated."
		}
		if w.Stack.NoChanges {
			return nil, "ValidationError: No updates are to be performed."
		}
		now := w.Now
		w.Stack.UpdatedAt, w.Stack.CancelledAt = &now, nil
		for k, v := range w.Stack.WritesParameters {
			w.Parameters[k] = v
		}
		return obj{"StackId": "arn:aws:cloudformation:eu-west-1:1:stack/" + w.Stack.Name + "/1"}, ""
	case "cloudformation cancel-update-stack":
		if s := w.stackStatus(); s != "UPDATE_IN_PROGRESS" {
			return nil, "ValidationError: CancelUpdateStack cannot be called from current stack status " + s
		}
		now := w.Now
		w.Stack.CancelledAt = &now
		return "", ""

	case "ecs describe-task-definition":
		d := w.taskDefinition(flag(args, "--task-definition"))
		if d == nil {
			return nil, "ClientException: Unable to describe task definition."
		}
		return obj{"taskDefinition": d.Definition}, ""
	case "ecs register-task-definition":
		var in map[string]any
		if err := json.Unmarshal([]byte(flag(args, "--cli-input-json")), &in); err != nil {
			return nil, "bad --cli-input-json: " + err.Error()
		}
		return obj{"taskDefinition": w.register(in)}, ""
	case "ecs list-tasks":
		arns := list{}
		for _, t := range w.Tasks {
			if t.StartedBy == flag(args, "--started-by") && w.taskStatus(t) != "STOPPED" {
				arns = append(arns, t.Arn)
			}
		}
		return obj{"taskArns": arns}, ""
	case "ecs run-task":
		d := w.taskDefinition(flag(args, "--task-definition"))
		if d == nil {
			return nil, "InvalidParameterException: TaskDefinition not found."
		}
		run := w.Runs[d.Family]
		if run.Failure != "" {
			return obj{"tasks": list{}, "failures": list{obj{"reason": run.Failure}}}, ""
		}
		t := &Task{
			Arn:       fmt.Sprintf("arn:aws:ecs:eu-west-1:1:task/%s/%s%04d", flag(args, "--cluster"), d.Family, len(w.Tasks)),
			Family:    d.Family,
			StartedBy: flag(args, "--started-by"),
			StartedAt: w.Now, Duration: run.Duration, ExitCode: run.ExitCode, Reason: run.Reason,
			Definition: d.Definition["taskDefinitionArn"].(string),
		}
		w.Tasks = append(w.Tasks, t)
		return obj{"tasks": list{w.describeTask(t)}, "failures": list{}}, ""
	case "ecs describe-tasks":
		for _, t := range w.Tasks {
			if t.Arn == flag(args, "--tasks") {
				return obj{"tasks": list{w.describeTask(t)}, "failures": list{}}, ""
			}
		}
		return obj{"tasks": list{}, "failures": list{obj{"reason": "MISSING"}}}, ""
	case "ecs stop-task":
		for _, t := range w.Tasks {
			if t.Arn == flag(args, "--task") {
				if t.StoppedAt == nil {
					now := w.Now
					t.StoppedAt, t.StoppedBy = &now, flag(args, "--reason")
				}
				return obj{"task": w.describeTask(t)}, ""
			}
		}
		return nil, "InvalidParameterException: The referenced task was not found."
	case "ecs describe-services":
		name := flag(args, "--services")
		s, ok := w.Services[name]
		if !ok {
			return obj{"services": list{}, "failures": list{obj{"reason": "MISSING"}}}, ""
		}
		return obj{"services": list{w.describeService(name, s)}, "failures": list{}}, ""
	case "application-autoscaling describe-scalable-targets":
		targets := list{}
		for name, s := range w.Services {
			if strings.HasSuffix(flag(args, "--resource-ids"), "/"+name) && s.MinCapacity != nil {
				targets = append(targets, obj{"ResourceId": flag(args, "--resource-ids"), "MinCapacity": *s.MinCapacity, "MaxCapacity": 10})
			}
		}
		return obj{"ScalableTargets": targets}, ""
	case "elbv2 describe-target-health":
		name := strings.TrimPrefix(flag(args, "--target-group-arn"), "arn:tg/")
		s := w.Services[name]
		p := w.servicePhase(s)
		targets := list{}
		for i := 0; i < p.Running; i++ {
			state := "initial"
			if i < p.Healthy {
				state = "healthy"
			}
			targets = append(targets, obj{"Target": obj{"Id": fmt.Sprintf("10.0.0.%d", i)}, "TargetHealth": obj{"State": state}})
		}
		return obj{"TargetHealthDescriptions": targets}, ""

	case "s3 sync":
		return "", ""
	case "cloudfront create-invalidation":
		return obj{"Invalidation": obj{"Id": "I123", "Status": "InProgress"}}, ""
	}
	fatal("fake aws: no answer for %s %v", op, args)
	return nil, ""
}

// IndexMediaType is the media type of the image index that docker buildx
// pushes (an image and its attestation).
const IndexMediaType = "application/vnd.oci.image.index.v1+json"

// ImageIndex is the manifest of the image pushed as tag: several lines, as
// buildx writes it.
func ImageIndex(tag string) string {
	return "{\n  \"schemaVersion\": 2,\n  \"mediaType\": \"" + IndexMediaType + "\",\n  \"manifests\": [\n    {\"digest\": \"sha256:" +
		hash("image "+tag) + "\"},\n    {\"digest\": \"sha256:" + hash("attestation "+tag) + "\"}\n  ]\n}"
}

// PlatformManifest is the manifest of the image's one platform.
func PlatformManifest(tag string) string {
	return `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","layers":["` + hash("image "+tag) + `"]}`
}

// Digest is a manifest's digest.
func Digest(manifest string) string { return "sha256:" + hash(manifest) }

func hash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// hasImage reports whether tag is in the repository.
func (w *World) hasImage(tag string) bool { return contains(w.Images, tag) }

// source is the tag an image was pushed as: tag itself, or the one it was
// found by when put-image added tag.
func (w *World) source(tag string) string {
	if s, ok := w.Added[tag]; ok {
		return s
	}
	return tag
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// values returns the arguments after flag, up to the next flag.
func values(args []string, flag string) []string {
	i := index(args, flag)
	if i < 0 {
		return nil
	}
	var out []string
	for _, a := range args[i+1:] {
		if strings.HasPrefix(a, "--") {
			break
		}
		out = append(out, a)
	}
	return out
}

type obj = map[string]any
type list = []any

func (w *World) stackStatus() string {
	s := &w.Stack
	if s.CancelledAt != nil {
		return at(s.AfterCancel, w.Now-*s.CancelledAt, "UPDATE_ROLLBACK_COMPLETE")
	}
	if s.UpdatedAt != nil {
		return at(s.AfterUpdate, w.Now-*s.UpdatedAt, "UPDATE_COMPLETE")
	}
	if s.Status == "" {
		return "UPDATE_COMPLETE"
	}
	return s.Status
}

func at(phases []Phase, elapsed int, otherwise string) string {
	status := otherwise
	if len(phases) > 0 {
		status = phases[0].Status
	}
	for _, p := range phases {
		if p.At <= elapsed {
			status = p.Status
		}
	}
	return status
}

// taskDefinition finds a definition by family (the latest revision),
// family:revision or ARN.
func (w *World) taskDefinition(ref string) *TaskDefinition {
	var found *TaskDefinition
	for i := range w.TaskDefinitions {
		d := &w.TaskDefinitions[i]
		if d.Definition["taskDefinitionArn"] == ref || fmt.Sprintf("%s:%d", d.Family, d.Revision) == ref ||
			(d.Family == ref && (found == nil || d.Revision > found.Revision)) {
			found = d
		}
	}
	return found
}

func (w *World) register(in map[string]any) map[string]any {
	family := in["family"].(string)
	revision := 1
	for _, d := range w.TaskDefinitions {
		if d.Family == family && d.Revision >= revision {
			revision = d.Revision + 1
		}
	}
	d := map[string]any{}
	for k, v := range in {
		d[k] = v
	}
	d["revision"] = revision
	d["status"] = "ACTIVE"
	d["taskDefinitionArn"] = fmt.Sprintf("arn:aws:ecs:eu-west-1:1:task-definition/%s:%d", family, revision)
	w.TaskDefinitions = append(w.TaskDefinitions, TaskDefinition{Family: family, Revision: revision, Definition: d})
	return d
}

func (w *World) taskStatus(t *Task) string {
	if t.StoppedAt != nil || w.Now >= t.StartedAt+t.Duration {
		return "STOPPED"
	}
	return "RUNNING"
}

func (w *World) describeTask(t *Task) map[string]any {
	d := obj{"taskArn": t.Arn, "lastStatus": w.taskStatus(t), "taskDefinitionArn": t.Definition, "startedBy": t.StartedBy}
	container := obj{"name": "django"}
	switch {
	case t.StoppedAt != nil:
		d["stoppedReason"] = "Task stopped by user"
		container["exitCode"] = 137
	case d["lastStatus"] == "STOPPED":
		d["stoppedReason"] = t.Reason
		if t.ExitCode != nil {
			container["exitCode"] = *t.ExitCode
		}
	}
	d["containers"] = list{container}
	return d
}

func (w *World) servicePhase(s *Service) ServicePhase {
	elapsed := w.Now
	if w.Stack.UpdatedAt != nil {
		elapsed = w.Now - *w.Stack.UpdatedAt
	}
	var p ServicePhase
	if len(s.Phases) > 0 {
		p = s.Phases[0]
	}
	for _, q := range s.Phases {
		if q.At <= elapsed {
			p = q
		}
	}
	if p.Deployments == 0 {
		p.Deployments = 1
	}
	if p.Rollout == "" {
		p.Rollout = "COMPLETED"
	}
	return p
}

func (w *World) describeService(name string, s *Service) map[string]any {
	p := w.servicePhase(s)
	// The service's task definition for this image: one revision per image.
	var arn string
	for _, d := range w.TaskDefinitions {
		if d.Family == name && containerImage(d.Definition) == p.Image {
			arn = d.Definition["taskDefinitionArn"].(string)
		}
	}
	if arn == "" {
		arn = w.register(obj{"family": name, "containerDefinitions": list{obj{"name": "django", "image": p.Image}}})["taskDefinitionArn"].(string)
	}
	deployments := list{obj{"status": "PRIMARY", "rolloutState": p.Rollout, "taskDefinition": arn, "desiredCount": p.Desired, "runningCount": p.Running}}
	for i := 1; i < p.Deployments; i++ {
		deployments = append(deployments, obj{"status": "ACTIVE", "rolloutState": "COMPLETED", "taskDefinition": arn + "-old", "desiredCount": 0, "runningCount": 0})
	}
	balancers := list{}
	if s.LoadBalanced {
		balancers = append(balancers, obj{"targetGroupArn": "arn:tg/" + name, "containerName": "django", "containerPort": 8000})
	}
	return obj{"serviceName": name, "desiredCount": p.Desired, "runningCount": p.Running, "deployments": deployments, "loadBalancers": balancers}
}

func containerImage(d map[string]any) string {
	for _, c := range d["containerDefinitions"].([]any) {
		if c := c.(map[string]any); c["name"] == "django" {
			return c["image"].(string)
		}
	}
	return ""
}

// output applies --query and --output to a response.
func output(args []string, resp any) string {
	if s, ok := resp.(string); ok && index(args, "--query") < 0 {
		return s + "\n"
	}
	if q := flag(args, "--query"); q != "" {
		eval, ok := queries[q]
		if !ok {
			fatal("fake aws: the query %q is not in the fake's table (testdata/fakeaws)", q)
		}
		resp = roundTrip(resp)
		result := eval(resp)
		recordQuery(q, resp, result)
		resp = result
	}
	if flag(args, "--output") == "text" {
		return text(resp)
	}
	data, _ := json.MarshalIndent(roundTrip(resp), "", "    ")
	return string(data) + "\n"
}

// roundTrip gives a value the types encoding/json decodes to.
func roundTrip(v any) any {
	data, err := json.Marshal(v)
	if err != nil {
		fatal("fake: %v", err)
	}
	var out any
	json.Unmarshal(data, &out)
	return out
}

// text formats a query result as the AWS CLI's text output does for
// scalars, flat lists and lists of flat lists.
func text(v any) string {
	switch v := v.(type) {
	case []any:
		if len(v) == 0 {
			return ""
		}
		if _, nested := v[0].([]any); nested {
			var b strings.Builder
			for _, row := range v {
				b.WriteString(text(row))
			}
			return b.String()
		}
		var cells []string
		for _, c := range v {
			cells = append(cells, scalar(c))
		}
		return strings.Join(cells, "\t") + "\n"
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var cells []string
		for _, k := range keys {
			cells = append(cells, scalar(v[k]))
		}
		return strings.Join(cells, "\t") + "\n"
	}
	return scalar(v) + "\n"
}

func scalar(v any) string {
	switch v := v.(type) {
	case nil:
		return "None"
	case bool:
		if v {
			return "True"
		}
		return "False"
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case string:
		return v
	}
	data, _ := json.Marshal(v)
	return string(data)
}

// recordQuery appends what a query was asked of and what the table answered
// to $FAKE_QUERIES (when set), for a check against JMESPath itself.
func recordQuery(q string, in, out any) {
	file := os.Getenv("FAKE_QUERIES")
	if file == "" {
		return
	}
	data, _ := json.Marshal(obj{"query": q, "input": in, "output": out})
	f, err := os.OpenFile(file, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return
	}
	defer f.Close()
	fmt.Fprintln(f, string(data))
}
