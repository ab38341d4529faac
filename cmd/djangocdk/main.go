// Command djangocdk runs the day-2 operations of an environment that the
// djangocdk CDK app deployed: a one-off manage.py command, a shell in a
// running task, the logs, the status, a rollback through the release
// pipeline's own Release step, and the fixed monthly cost. It reads the same cdk.json as the app and
// finds the deployed resources by the names the stacks give them.
//
// Usage:
//
//	djangocdk <command> -e ENV [flags] [-- args]
//
// The commands:
//
//	run       a one-off task from the released image with the migration task's settings
//	shell     ECS Exec into a running web task (python manage.py shell)
//	logs      the processes' CloudWatch Logs, interleaved by time
//	status    per service the image, tasks and deployment; queues, alarms, the last release
//	rollback  release the previous released image (or --to COMMIT) through the Release project
//	cost      the fixed monthly cost at list price, from the synthesized templates (offline)
//	init      write a ready infrastructure/ folder (go.mod, app.go, cdk.json, package.json) into a monorepo
//
// Every command but cost needs AWS credentials for the environment's account (the default
// chain: AWS_PROFILE, SSO, environment variables, a role). Install it with
// go install github.com/djangocdk/djangocdk/cmd/djangocdk@latest.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/djangocdk/djangocdk/stacks"
)

// app is one invocation: the environment's config, its AWS clients and
// where output goes.
type app struct {
	cfg *stacks.Config
	aws *Clients
	// out receives results (what --json prints); errw progress and errors.
	out, errw io.Writer
	// poll is how often a wait asks AWS again.
	poll time.Duration
	// lookPath and runPlugin find and run the Session Manager plugin.
	lookPath  func(string) (string, error)
	runPlugin func(ctx context.Context, path string, args []string) (int, error)
	// connect loads the config of the environment the flags chose and its
	// clients; a command calls it once its flags are parsed.
	connect func(context.Context) error
	// configure loads the config alone, for a command that needs no AWS
	// access (cost).
	configure func() error
}

// How often waits ask AWS again, and how the Session Manager plugin is
// found and run; the tests replace them.
var (
	pollInterval = 5 * time.Second
	lookPath     = exec.LookPath
	pluginRunner = runPlugin
)

// exitError carries the exit status of a failed command.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// usage is printed for -h and for a missing or unknown command.
const usage = `usage: djangocdk <command> -e ENV [flags]

commands:
  run [--wait] [--timeout D] [--json] -- python manage.py ARGS
                  a one-off task from the released image, with the migration task's settings
  shell [--service web] [--command CMD]
                  ECS Exec into a running web task (python manage.py shell)
  logs [--service web,beat,worker-Q,migrate] [--since 10m] [--follow]
                  CloudWatch Logs of the processes, interleaved by time
  status [--json] per service the image, tasks and deployment; queue depth, alarms, last release
  rollback [--to COMMIT] [--timeout D]
                  release the previous released image (or COMMIT) through the Release project
  cost [--assembly DIR] [--json]
                  the fixed monthly cost at list price, item by item, from the synthesized templates
  init -project NAME -account ID -region REGION [--replace DJANGOCDK] [MONOREPO]
                  write a ready infrastructure/ folder into the monorepo (no -e, no AWS access)

every command takes -e/--env ENV (default: cdk.json's context.env) and --config FILE
(default: cdk.json in this directory or the nearest parent). Run "djangocdk <command> -h" for its flags.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := Main(ctx, os.Args[1:], os.Stdout, os.Stderr, func(ctx context.Context, cfg *stacks.Config) (*Clients, error) {
		return awsClients(ctx, cfg)
	})
	stop()
	os.Exit(code)
}

// commands maps each command's name to its implementation, which parses
// its own flags from fs and args.
var commands = map[string]func(a *app, ctx context.Context, fs *flag.FlagSet, args []string) error{
	"run":      (*app).run,
	"shell":    (*app).shell,
	"logs":     (*app).logs,
	"status":   (*app).status,
	"rollback": (*app).rollback,
	"cost":     (*app).cost,
	"init":     (*app).initCmd,
}

// Main runs the command in args with the clients that connect returns for
// the environment, and returns the process's exit status.
func Main(ctx context.Context, args []string, out, errw io.Writer, connect func(context.Context, *stacks.Config) (*Clients, error)) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(errw, usage)
		return 2
	}
	command, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(errw, "djangocdk: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	fs := flag.NewFlagSet("djangocdk "+args[0], flag.ContinueOnError)
	fs.SetOutput(errw)
	a := &app{out: out, errw: errw, poll: pollInterval, lookPath: lookPath, runPlugin: pluginRunner}
	var env, configPath string
	fs.StringVar(&env, "e", "", "the environment (an environments key of cdk.json); default: cdk.json's context.env")
	fs.StringVar(&env, "env", "", "same as -e")
	fs.StringVar(&configPath, "config", "", "the cdk.json to read; default: the nearest in this directory or a parent")
	// Each command adds its flags, parses, then calls a.connect (or
	// a.configure).
	a.configure = func() error {
		cfg, err := loadConfig(configPath, env)
		if err != nil {
			return &exitError{2, err}
		}
		a.cfg = cfg
		return nil
	}
	a.connect = func(ctx context.Context) error {
		if err := a.configure(); err != nil {
			return err
		}
		var err error
		if a.aws, err = connect(ctx, a.cfg); err != nil {
			return err
		}
		return a.checkAccount(ctx)
	}
	err := command(a, ctx, fs, args[1:])
	if err == nil {
		return 0
	}
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	var exit *exitError
	code := 1
	if errors.As(err, &exit) {
		code = exit.code
		if exit.err == nil {
			return code
		}
	}
	fmt.Fprintln(errw, "djangocdk: "+err.Error())
	return code
}

// parse parses a command's flags; a usage error exits 2.
func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return &exitError{2, nil}
	}
	return nil
}

// loadConfig reads the context of the cdk.json at path (or the nearest one
// up from the working directory) and decodes environment env's settings
// the way the CDK app does.
func loadConfig(path, env string) (*stacks.Config, error) {
	if path == "" {
		var err error
		if path, err = findConfig(); err != nil {
			return nil, err
		}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading the configuration: %w", err)
	}
	var file struct {
		Context map[string]any `json:"context"`
	}
	if err := json.Unmarshal(data, &file); err != nil {
		return nil, fmt.Errorf("%s: not valid JSON: %w", path, err)
	}
	if file.Context == nil {
		return nil, fmt.Errorf("%s: no context object; is this djangocdk's cdk.json?", path)
	}
	context := map[string]any{}
	for _, key := range []string{stacks.EnvKey, stacks.DefaultsKey, stacks.EnvironmentsKey} {
		if v, ok := file.Context[key]; ok {
			context[key] = v
		}
	}
	if env != "" {
		context[stacks.EnvKey] = env
	}
	cfg, err := stacks.LoadConfig(context)
	if err != nil {
		return nil, fmt.Errorf("configuration error in %s:\n%w", path, err)
	}
	return cfg, nil
}

// findConfig returns the cdk.json of the working directory or its nearest parent.
func findConfig() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		path := filepath.Join(dir, "cdk.json")
		if _, err := os.Stat(path); err == nil {
			return path, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no cdk.json in this directory or a parent: run djangocdk in the infrastructure repository, or pass --config path/to/cdk.json")
		}
		dir = parent
	}
}

// roles returns the names of the processes a command may select: the
// services' roles, and "migrate" when withMigrate.
func (a *app) roles(withMigrate bool) []string {
	roles := a.cfg.ServiceRoles()
	if withMigrate {
		roles = append(roles, "migrate")
	}
	return roles
}

// selectRoles parses a comma-separated list of roles, each one of allowed.
func selectRoles(list string, allowed []string) ([]string, error) {
	var roles []string
	for _, role := range strings.Split(list, ",") {
		role = strings.TrimSpace(role)
		if !slices.Contains(allowed, role) {
			sorted := append([]string(nil), allowed...)
			sort.Strings(sorted)
			return nil, &exitError{2, fmt.Errorf("--service: %q is not a process of this environment; use one or more (comma separated) of %s", role, strings.Join(sorted, ", "))}
		}
		if !slices.Contains(roles, role) {
			roles = append(roles, role)
		}
	}
	return roles, nil
}

// sleep waits d, or less when ctx ends.
func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// printJSON writes v as indented JSON to a.out.
func (a *app) printJSON(v any) error {
	enc := json.NewEncoder(a.out)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
