// Command benchfloor is the floor scripts/bench compares djangocdk's
// synthesis with: a minimal Go CDK app on the same aws-cdk-go, constructs
// and jsii runtime versions (this module's go.mod), with one stack of
// versioned S3 buckets, as many as BENCH_FLOOR_RESOURCES says (default
// 205, about the resources of one djangocdk environment). What it costs
// is what any Go CDK app of that size pays: starting node, loading
// aws-cdk-lib, one jsii round trip per construct and property, synthesis.
package main

import (
	"fmt"
	"os"
	"strconv"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/jsii-runtime-go"
	"github.com/djangocdk/djangocdk/internal/featureflags"
)

func main() {
	count := 205
	if v := os.Getenv("BENCH_FLOOR_RESOURCES"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			fmt.Fprintf(os.Stderr, "benchfloor: BENCH_FLOOR_RESOURCES=%q is not a positive number\n", v)
			os.Exit(2)
		}
		count = n
	}
	// The app's stack traces are off (stacks.NewApp): the floor's too.
	context := featureflags.NoStackTraces()
	app := awscdk.NewApp(&awscdk.AppProps{Context: &context})
	stack := awscdk.NewStack(app, jsii.String("BenchFloor"), nil)
	for i := range count {
		awss3.NewBucket(stack, jsii.String(fmt.Sprintf("Bucket%d", i)), &awss3.BucketProps{
			Versioned: jsii.Bool(true),
		})
	}
	app.Synth(nil)
}
