// Package featureflags holds the CDK feature flags djangocdk is built and
// tested with: the "@aws-cdk/..." context keys "cdk init" writes into
// cdk.json. The stacks' apps and the constructs' tests both apply them.
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
