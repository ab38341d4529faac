// Command djangocdk is the CDK app that deploys a Django + Celery product to
// AWS. The CDK CLI runs it: npx cdk synth --all -c env=staging.
package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
	"github.com/djangocdk/djangocdk/stacks"
)

func main() {
	app := awscdk.NewApp(nil)
	if err := build(app); err != nil {
		fmt.Fprintln(os.Stderr, "djangocdk: "+err.Error())
		os.Exit(1)
	}
	// No jsii.Close here: with it every run ends with a spurious "Runtime
	// process exited abnormally" line (a race inside jsii-runtime-go).
	if err := try(func() { app.Synth(nil) }); err != nil {
		fmt.Fprintln(os.Stderr, "djangocdk: synthesis failed:\n"+err.Error())
		os.Exit(1)
	}
}

// build reads the configuration once from the app's context and creates the
// stacks of the selected environment.
func build(app awscdk.App) error {
	context := map[string]any{}
	for _, key := range []string{stacks.EnvKey, stacks.DefaultsKey, stacks.EnvironmentsKey} {
		if v := app.Node().TryGetContext(jsii.String(key)); v != nil {
			context[key] = v
		}
	}
	cfg, err := stacks.LoadConfig(context)
	if err != nil {
		return fmt.Errorf("configuration error:\n%w", err)
	}
	if err := try(func() { _, err = stacks.New(app, cfg) }); err != nil {
		return fmt.Errorf("building the stacks: %w", err)
	}
	if err != nil {
		return fmt.Errorf("building the stacks: %w", err)
	}
	return nil
}

// try runs f and turns a panic raised by the CDK (through jsii) into an
// error holding the message without the JavaScript stack trace. With
// DJANGOCDK_TRACE set, the panic goes on, with its Go stack trace.
func try(f func()) (err error) {
	defer func() {
		if r := recover(); r != nil {
			if os.Getenv("DJANGOCDK_TRACE") != "" {
				panic(r)
			}
			msg := fmt.Sprint(r)
			if i := strings.Index(msg, "\n    at "); i >= 0 {
				msg = msg[:i]
			}
			err = fmt.Errorf("%s", msg)
		}
	}()
	f()
	return err
}
