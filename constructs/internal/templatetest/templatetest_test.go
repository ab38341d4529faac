package templatetest

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
)

// TestValidationFollowsTheVariable synthesizes a template CloudFormation
// would refuse (a bucket with a property it does not have): aws-cdk-lib's
// validation fails the synthesis when CDK_VALIDATION is anything but
// "false", and construct tests run without it unless the variable is set.
func TestValidationFollowsTheVariable(t *testing.T) {
	app := App()
	stack := awscdk.NewStack(app, jsii.String("Invalid"), &awscdk.StackProps{
		Env: &awscdk.Environment{Account: jsii.String("123456789012"), Region: jsii.String("eu-west-1")},
	})
	awscdk.NewCfnResource(stack, jsii.String("Bucket"), &awscdk.CfnResourceProps{
		Type:       jsii.String("AWS::S3::Bucket"),
		Properties: &map[string]any{"NoSuchProperty": "x"},
	})
	var err error
	if failure := recovered(func() { app.Synth(nil) }); failure != nil {
		err = fmt.Errorf("%v", failure)
	}
	value := os.Getenv(ValidationVariable)
	if validated := value != "false"; validated != (err != nil) {
		t.Fatalf("%s=%q: synthesis of an invalid template: %v", ValidationVariable, value, err)
	}
	if err == nil {
		return
	}
	report, readErr := os.ReadFile(filepath.Join(*app.Outdir(), "validation-report.json"))
	if !strings.Contains(err.Error(), "Validation failed") || readErr != nil || !strings.Contains(string(report), "NoSuchProperty") {
		t.Errorf("synthesis failed with %v, and the validation report (%v) does not name the property", err, readErr)
	}
}
