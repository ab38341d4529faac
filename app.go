// Command djangocdk is the CDK app that deploys a Django + Celery product to
// AWS. The CDK CLI runs it: npx cdk synth --all -c env=staging.
package main

import "github.com/djangocdk/djangocdk/stacks"

func main() { stacks.Main() }
