// Package templatetest helps the construct packages' tests synthesize
// stacks and assert on their templates in the style of aws-cdk-lib's
// tests, within the limits of jsii in Go: one node process per test binary
// (on the Node 24 npm ci installs, see internal/fastnode), and assertions
// whose failures panic inside the runtime turned into t.Fatalf.
package templatetest

import (
	"fmt"
	"maps"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
	// Also for its side effect: jsii on the Node 24 npm ci installs.
	"github.com/djangocdk/djangocdk/internal/fastnode"
	"github.com/djangocdk/djangocdk/internal/featureflags"
)

// ValidationVariable is aws-cdk-lib's switch for its template validation
// (CloudFormation's schemas and rules in a WASM engine), which runs when an
// App is synthesized unless the variable is "false".
const ValidationVariable = "CDK_VALIDATION"

// Construct tests leave that validation to where whole templates are
// deployed: the root package's syntheses of every environment and variant,
// every cdk synth, and CI, which runs these tests again with
// CDK_VALIDATION=true. It costs about 2 s of a construct package's 3 (its
// engine starts once per test binary), and half the packages' tests
// synthesize Stages, which it skips anyway. Set the variable to choose.
func init() {
	if _, set := os.LookupEnv(ValidationVariable); !set {
		fastnode.Setenv(ValidationVariable + "=false")
	}
}

var (
	flags  = featureflags.Map() // the flags djangocdk apps run with, so that tests check the template users deploy
	stacks = map[string]int{}
	unsafe = regexp.MustCompile(`[^A-Za-z0-9-]+`)
)

// App returns a new App with djangocdk's feature flags and stack traces
// off, as stacks.NewApp starts its apps (internal/featureflags). Each
// stack gets its own: an App cannot be synthesized again once its tree has
// changed, and an App costs little beside the node process, which the
// binary shares.
func App() awscdk.App {
	context := featureflags.NoStackTraces()
	maps.Copy(context, flags)
	// No outdir: the CDK makes a temporary one for each App, which jsii's
	// node process removes as it exits.
	return awscdk.NewApp(&awscdk.AppProps{Context: &context})
}

// Stack returns a new stack, named after the test, in a new App, in a
// fixed account and region.
func Stack(t *testing.T) awscdk.Stack {
	t.Helper()
	name := strings.Trim(unsafe.ReplaceAllString(t.Name(), "-"), "-")
	stacks[name]++
	if n := stacks[name]; n > 1 {
		name = fmt.Sprintf("%s-%d", name, n)
	}
	return awscdk.NewStack(App(), jsii.String(name), &awscdk.StackProps{
		Env: &awscdk.Environment{Account: jsii.String("123456789012"), Region: jsii.String("eu-west-1")},
	})
}

// Staged hands out stacks of one App shared by a test binary, each in a
// Stage of its own named after its test, so that synthesizing one stack
// synthesizes only that stage.
type Staged struct{ app awscdk.App }

// NewStaged returns a Staged whose App has djangocdk's feature flags (internal/featureflags).
func NewStaged() *Staged {
	context := map[string]any{}
	for k, v := range flags {
		context[k] = v
	}
	return &Staged{app: awscdk.NewApp(&awscdk.AppProps{Context: &context})}
}

// Stack returns a new stack named Shop, in us-east-1 of a fixed account,
// in a stage named after t.
func (s *Staged) Stack(t *testing.T) awscdk.Stack {
	stage := awscdk.NewStage(s.app, jsii.String(strings.NewReplacer("/", "-", "_", "-").Replace(t.Name())), nil)
	return awscdk.NewStack(stage, jsii.String("Shop"), &awscdk.StackProps{
		Env: &awscdk.Environment{Account: jsii.String("123456789012"), Region: jsii.String("us-east-1")},
	})
}

// Template is a stack's synthesized template whose assertions fail the
// test instead of killing the test binary.
type Template struct {
	t *testing.T
	assertions.Template
}

// FromStack synthesizes stack.
func FromStack(t *testing.T, stack awscdk.Stack) *Template {
	t.Helper()
	var template assertions.Template
	Must(t, func() { template = assertions.Template_FromStack(stack, nil) })
	return &Template{t: t, Template: template}
}

// Must runs f and turns a panic (a failed assertion) into t.Fatalf.
func Must(t *testing.T, f func()) {
	t.Helper()
	if failure := recovered(f); failure != nil {
		t.Fatalf("%v", failure)
	}
}

// recovered runs f and returns what it panicked with, or nil.
func recovered(f func()) (failure any) {
	defer func() { failure = recover() }()
	f()
	return nil
}

// Assert runs checks on stack's template, as aws-cdk-lib's tests do with
// Template.fromStack; a failed assertion fails the test.
func Assert(t *testing.T, stack awscdk.Stack, checks ...func(assertions.Template)) {
	t.Helper()
	Must(t, func() {
		template := assertions.Template_FromStack(stack, nil)
		for _, check := range checks {
			check(template)
		}
	})
}

// HasResourceProperties asserts that a resource of type has props (a
// partial match, as in aws-cdk-lib's tests).
func (tt *Template) HasResourceProperties(typ string, props any) {
	tt.t.Helper()
	Must(tt.t, func() { tt.Template.HasResourceProperties(jsii.String(typ), props) })
}

// HasResource asserts on a resource's whole definition (DependsOn, ...).
func (tt *Template) HasResource(typ string, props any) {
	tt.t.Helper()
	Must(tt.t, func() { tt.Template.HasResource(jsii.String(typ), props) })
}

// ResourceCountIs asserts how many resources of type the template has.
func (tt *Template) ResourceCountIs(typ string, n int) {
	tt.t.Helper()
	Must(tt.t, func() { tt.Template.ResourceCountIs(jsii.String(typ), jsii.Number(n)) })
}

// Resources returns the resources of type, by logical id.
func (tt *Template) Resources(typ string) map[string]map[string]any {
	tt.t.Helper()
	out := map[string]map[string]any{}
	Must(tt.t, func() {
		for id, r := range *tt.Template.FindResources(jsii.String(typ), nil) {
			out[id] = *r
		}
	})
	return out
}

// Properties returns the Properties of the one resource of type.
func (tt *Template) Properties(typ string) map[string]any {
	tt.t.Helper()
	_, r := tt.one(typ)
	props, _ := r["Properties"].(map[string]any)
	return props
}

// ID returns the logical id of the one resource of type.
func (tt *Template) ID(typ string) string {
	tt.t.Helper()
	id, _ := tt.one(typ)
	return id
}

// one returns the one resource of type and its logical id, and fails the
// test when there is not exactly one.
func (tt *Template) one(typ string) (string, map[string]any) {
	tt.t.Helper()
	resources := tt.Resources(typ)
	if len(resources) != 1 {
		tt.t.Fatalf("%d resources of type %s, want 1", len(resources), typ)
	}
	for id, r := range resources {
		return id, r
	}
	return "", nil
}

// Absent is the matcher of a property that must not be set.
func Absent() assertions.Matcher { return assertions.Match_Absent() }

// Like is aws-cdk-lib's Match.objectLike.
func Like(pattern map[string]any) assertions.Matcher { return assertions.Match_ObjectLike(&pattern) }

// ArrayWith is aws-cdk-lib's Match.arrayWith.
func ArrayWith(items ...any) assertions.Matcher { return assertions.Match_ArrayWith(&items) }

// AnyValue is aws-cdk-lib's Match.anyValue.
func AnyValue() assertions.Matcher { return assertions.Match_AnyValue() }
