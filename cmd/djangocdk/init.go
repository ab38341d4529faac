package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Pinned versions the generated infrastructure folder uses: the CDK CLI
// djangocdk is tested with (package.json of this repository) and the Go
// version of its go.mod.
const (
	cdkCLIVersion = "2.1148.1"
	goVersion     = "1.26"
	modulePath    = "github.com/djangocdk/djangocdk"
)

// initOptions are the flags of "djangocdk init".
type initOptions struct {
	project, account, region, zones string
	repository, connectionArn, host string
	module, replace                 string
}

// initCmd writes a ready infrastructure/ folder into the monorepo named by
// its argument (default: the working directory).
func (a *app) initCmd(_ context.Context, fs *flag.FlagSet, args []string) error {
	var o initOptions
	fs.StringVar(&o.project, "project", "", "the project name, prefix of every stack (required)")
	fs.StringVar(&o.account, "account", "", "the AWS account id of the dev environment (required)")
	fs.StringVar(&o.region, "region", "", "the AWS region (required)")
	fs.StringVar(&o.zones, "zones", "", "availability zones, comma-separated; default: the region's a and b")
	fs.StringVar(&o.repository, "repository", "", "the monorepo as owner/name, for the release pipeline")
	fs.StringVar(&o.connectionArn, "connection-arn", "", "the CodeConnections connection to the repository host")
	fs.StringVar(&o.host, "host", "", "the host name Django serves in dev (DJANGO_ALLOWED_HOSTS)")
	fs.StringVar(&o.module, "module", "", "the Go module path of the folder; default: PROJECT/infrastructure")
	fs.StringVar(&o.replace, "replace", "", "a local checkout of djangocdk for go.mod's replace directive (the module is not published)")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: djangocdk init -project NAME -account ID -region REGION [flags] [MONOREPO]")
		fs.PrintDefaults()
	}
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 1 {
		return &exitError{2, errors.New("init takes one folder, the monorepo")}
	}
	monorepo := "."
	if fs.NArg() == 1 {
		monorepo = fs.Arg(0)
	}
	files, err := o.files()
	if err != nil {
		return &exitError{2, err}
	}
	dir := filepath.Join(monorepo, "infrastructure")
	if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
		return fmt.Errorf("%s already exists and is not empty; init writes a new folder", dir)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, f := range files {
		if err := os.WriteFile(filepath.Join(dir, f.name), []byte(f.content), 0o644); err != nil {
			return err
		}
	}
	fmt.Fprintf(a.out, "wrote %s; next: cd %s && go mod tidy && npm install && npx cdk synth -c env=dev\n", dir, dir)
	return nil
}

// file is one generated file.
type file struct{ name, content string }

// files checks the options and returns the folder's files.
func (o *initOptions) files() ([]file, error) {
	var missing []string
	for _, f := range []struct{ name, value string }{{"-project", o.project}, {"-account", o.account}, {"-region", o.region}} {
		if f.value == "" {
			missing = append(missing, f.name)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("init: %s required", strings.Join(missing, ", "))
	}
	zones := []string{o.region + "a", o.region + "b"}
	if o.zones != "" {
		zones = strings.Split(o.zones, ",")
	}
	hosts := []string{}
	if o.host != "" {
		hosts = append(hosts, o.host)
	}
	module := o.module
	if module == "" {
		module = o.project + "/infrastructure"
	}
	goMod := fmt.Sprintf("module %s\n\ngo %s\n\nrequire %s v0.0.0-00010101000000-000000000000\n", module, goVersion, modulePath)
	if o.replace != "" {
		abs, err := filepath.Abs(o.replace)
		if err != nil {
			return nil, err
		}
		goMod += fmt.Sprintf("\n// djangocdk is not published: build against a local checkout.\nreplace %s => %s\n", modulePath, abs)
	}
	cdkJSON, err := jsonFile(map[string]any{
		// Build, then run: "go run" would add an "exit status 1" line
		// under djangocdk's own error message.
		"app":              "go build -o .build/app . && .build/app",
		"versionReporting": false,
		"context": map[string]any{
			"env": "dev",
			"defaults": map[string]any{
				"project": o.project, "region": o.region, "availabilityZones": zones,
				"pipeline": map[string]any{"repository": o.repository, "connectionArn": o.connectionArn},
			},
			"environments": map[string]any{"dev": map[string]any{
				"account": o.account, "removalPolicy": "destroy", "terminationProtection": false,
				"django":  map[string]any{"allowedHosts": hosts},
				"compute": map[string]any{"web": map[string]any{"plainHttpOrigin": true}},
			}},
			"cli-telemetry": false,
		},
	})
	if err != nil {
		return nil, err
	}
	packageJSON, err := jsonFile(map[string]any{
		"name": o.project + "-infrastructure", "private": true,
		"description":     "Pins the AWS CDK CLI that djangocdk is tested with: npx cdk ...",
		"devDependencies": map[string]any{"aws-cdk": cdkCLIVersion},
	})
	if err != nil {
		return nil, err
	}
	return []file{
		{"go.mod", goMod},
		{"app.go", appGo},
		{"cdk.json", cdkJSON},
		{"package.json", packageJSON},
		{".gitignore", "/.build/\n/cdk.out/\n/node_modules/\n"},
		{"README.md", strings.ReplaceAll(readme, "PROJECT", o.project)},
	}, nil
}

// jsonFile renders v as an indented JSON file (keys sorted).
func jsonFile(v any) (string, error) {
	b, err := json.MarshalIndent(v, "", "  ")
	return string(b) + "\n", err
}

const appGo = `// Command infrastructure is the CDK app of this monorepo: djangocdk's
// stacks, configured by cdk.json. The CDK CLI runs it: npx cdk synth -c env=dev.
package main

import "github.com/djangocdk/djangocdk/stacks"

func main() { stacks.Main() }
`

const readme = "# PROJECT infrastructure\n\n" +
	"The AWS infrastructure of PROJECT, built with djangocdk (Django, Celery, PostgreSQL, Valkey, S3,\n" +
	"CloudFront and a release pipeline on AWS). `cdk.json` holds only what this team decided;\n" +
	"djangocdk's README lists every other key and its default.\n\n" +
	"    go mod tidy                         # once: resolves djangocdk's dependencies\n" +
	"    npm install                         # the pinned CDK CLI; commit package-lock.json\n" +
	"    npx cdk synth -c env=dev            # checks every environment, writes cdk.out/\n" +
	"    npx cdk deploy --all -c env=dev\n\n" +
	"Keep the CDK CLI at the version in package.json: a newer major rejects the assembly.\n\n" +
	"To add an environment, add a key under `environments` in cdk.json with its own `account`,\n" +
	"`network.cidr` and `django.allowedHosts`; production also needs `compute.web.certificateArn` and\n" +
	"`compute.web.originDomainName` (dev uses `plainHttpOrigin: true`).\n"
