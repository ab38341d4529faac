// Package featureflags holds the CDK feature flags djangocdk is built and
// tested with: the "@aws-cdk/..." context keys "cdk init" writes into
// cdk.json. The stacks' apps and the constructs' tests both apply them.
// It also holds the context keys that turn aws-cdk-lib's stack traces off.
package featureflags

import (
	_ "embed"
	"encoding/json"
)

//go:embed featureflags.json
var raw []byte

// Map returns the flags by context key, a fresh copy each call.
func Map() map[string]any {
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		panic("featureflags.json: " + err.Error()) // embedded and tested: cannot happen
	}
	return m
}

// NoStackTraces returns the context keys that stop aws-cdk-lib recording
// where each resource and each annotation was created, a fresh copy each
// call. In a Go app such a trace is a JavaScript stack in jsii's kernel,
// never a line of the app, and it names the kernel's temporary directory:
// with the traces on, the cloud assembly differs on every synthesis.
// (cdk --debug still records the resources' traces.)
func NoStackTraces() map[string]any {
	return map[string]any{
		"aws:cdk:disable-creation-stack-traces": true,
		"aws:cdk:disable-stack-trace":           true,
	}
}
