package staticfiles_test

import (
	"encoding/json"
	"fmt"
	"log"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecr"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/jsii-runtime-go"
	"github.com/djangocdk/djangocdk/constructs/apptask"
	"github.com/djangocdk/djangocdk/constructs/staticfiles"
)

// The collectstatic task of a release: its own role may write the static
// bucket; the web tasks' role only reads it.
func Example() {
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("Compute"), nil)
	repository := awsecr.Repository_FromRepositoryName(stack, jsii.String("Repo"), jsii.String("shop"))
	static := awss3.NewBucket(stack, jsii.String("Static"), nil)

	_, err := staticfiles.New(stack, "StaticFiles", &staticfiles.Props{
		Bucket: static,
		Task: apptask.Props{
			Image:  awsecs.ContainerImage_FromEcrRepository(repository, jsii.String("3f2c1e9")),
			Family: "shop-production-static",
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	template := assertions.Template_FromStack(stack, nil)
	for _, d := range *template.FindResources(jsii.String("AWS::ECS::TaskDefinition"), nil) {
		props := (*d)["Properties"].(map[string]any)
		container := props["ContainerDefinitions"].([]any)[0].(map[string]any)
		fmt.Println(props["Family"], container["Command"])
	}
	for _, p := range *template.FindResources(jsii.String("AWS::IAM::Policy"), nil) {
		raw, _ := json.Marshal((*p)["Properties"].(map[string]any)["PolicyDocument"].(map[string]any)["Statement"])
		var statements []struct{ Action any }
		json.Unmarshal(raw, &statements)
		for _, s := range statements {
			actions, _ := json.Marshal(s.Action)
			if strings.Contains(string(actions), "s3:") {
				fmt.Println(string(actions))
			}
		}
	}
	// Output:
	// shop-production-static [python manage.py collectstatic --noinput]
	// ["s3:GetObject*","s3:GetBucket*","s3:List*"]
	// ["s3:PutObject","s3:PutObjectLegalHold","s3:PutObjectRetention","s3:PutObjectTagging","s3:PutObjectVersionTagging","s3:Abort*"]
}
