package stacks

import (
	"fmt"
	"io"
	"maps"
	"os"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
	"github.com/djangocdk/djangocdk/internal/featureflags"
)

// FeatureFlags returns the CDK feature flags djangocdk is built and tested
// with (the "@aws-cdk/..." context keys "cdk init" writes), a fresh copy
// each call. NewApp applies them; a flag in cdk.json or on the command line
// (-c) overrides them.
func FeatureFlags() map[string]any { return featureflags.Map() }

// NewApp returns a CDK app whose context starts with FeatureFlags and
// stack traces off (featureflags.NoStackTraces: they would name jsii's
// temporary directory), then props.Context (nil props: none), which
// overrides them. The CDK CLI's context (cdk.json and -c) is set after all
// of them and overrides the feature flags; CDK_DEBUG=true (cdk --debug)
// brings back the resources' stack traces.
func NewApp(props *awscdk.AppProps) awscdk.App {
	p := awscdk.AppProps{}
	if props != nil {
		p = *props
	}
	context := FeatureFlags()
	maps.Copy(context, featureflags.NoStackTraces())
	if p.Context != nil {
		maps.Copy(context, *p.Context)
	}
	p.Context = &context
	return awscdk.NewApp(&p)
}

// Build reads the configuration from app's context (the keys EnvKey,
// DefaultsKey and EnvironmentsKey), checks every environment and creates
// the stacks of the selected one. A configuration error creates nothing;
// an error the CDK raises while building is returned, not panicked.
func Build(app awscdk.App) (*Stacks, error) {
	context := map[string]any{}
	for _, key := range []string{EnvKey, DefaultsKey, EnvironmentsKey} {
		if v := app.Node().TryGetContext(jsii.String(key)); v != nil {
			context[key] = v
		}
	}
	cfg, err := LoadConfig(context)
	if err != nil {
		return nil, fmt.Errorf("configuration error:\n%w", err)
	}
	var built *Stacks
	if perr := try(func() { built, err = New(app, cfg) }); perr != nil {
		err = perr
	}
	if err != nil {
		return nil, fmt.Errorf("building the stacks: %w", err)
	}
	return built, nil
}

// Run builds app's stacks with Build and synthesizes them with Synth. It
// returns the first error, with the CDK's message and without a Go or
// JavaScript stack trace.
func Run(app awscdk.App) error {
	if _, err := Build(app); err != nil {
		return err
	}
	return Synth(app)
}

// Synth writes app's cloud assembly: after Build and any change of your own
// to the stacks (the escape hatch of the README). An error the CDK raises
// (a failed validation, cdk-nag's findings) is returned, not panicked.
func Synth(app awscdk.App) error {
	if err := try(func() { app.Synth(nil) }); err != nil {
		return fmt.Errorf("synthesis failed:\n%w", err)
	}
	return nil
}

// Main is the whole main function of a djangocdk app: it runs NewApp(nil)
// with Run and, on an error, prints one message to stderr and exits with
// status 1. With DJANGOCDK_TRACE set, a CDK error panics with its traces.
func Main() {
	os.Exit(run(os.Stderr))
}

// run is Main without the exit: it returns the exit status.
func run(stderr io.Writer) int {
	// No jsii.Close: with it every run ends with a spurious "Runtime
	// process exited abnormally" line (a race inside jsii-runtime-go).
	var app awscdk.App
	err := try(func() { app = NewApp(nil) }) // jsii fails here without Node
	if err == nil {
		err = Run(app)
	}
	if err != nil {
		fmt.Fprintln(stderr, "djangocdk: "+err.Error())
		return 1
	}
	return 0
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
