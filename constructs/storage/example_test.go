package storage_test

import (
	"fmt"
	"log"
	"sort"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
	"github.com/djangocdk/djangocdk/constructs/storage"
)

// Media and static buckets for a Django app whose frontend uploads directly.
func Example() {
	app := awscdk.NewApp(nil)
	// One environment as a Stage, as CDK Pipelines deploys it.
	production := awscdk.NewStage(app, jsii.String("Production"), nil)
	stack := awscdk.NewStack(production, jsii.String("Data"), nil)
	buckets, err := storage.New(stack, "Storage", &storage.Props{
		CorsAllowedOrigins: []string{"https://app.example.com"},
	})
	if err != nil {
		log.Fatal(err)
	}
	_ = buckets.Media().BucketName()  // DJANGO_AWS_STORAGE_BUCKET_NAME
	_ = buckets.Static().BucketName() // where collectstatic writes

	template := assertions.Template_FromStack(stack, nil)
	var lines []string
	for id, r := range *template.FindResources(jsii.String("AWS::S3::Bucket"), nil) {
		p := (*r)["Properties"].(map[string]any)
		line := fmt.Sprintf("AWS::S3::Bucket %-17s", id[len("Storage"):len(id)-8])
		if v, ok := p["VersioningConfiguration"].(map[string]any); ok {
			line += " Versioning=" + fmt.Sprint(v["Status"])
		}
		if l, ok := p["LoggingConfiguration"].(map[string]any); ok {
			line += " LogFilePrefix=" + fmt.Sprint(l["LogFilePrefix"])
		}
		if c, ok := p["CorsConfiguration"].(map[string]any); ok {
			line += " CorsOrigins=" + fmt.Sprint(c["CorsRules"].([]any)[0].(map[string]any)["AllowedOrigins"])
		}
		sse := p["BucketEncryption"].(map[string]any)["ServerSideEncryptionConfiguration"].([]any)[0].(map[string]any)["ServerSideEncryptionByDefault"].(map[string]any)["SSEAlgorithm"]
		lines = append(lines, fmt.Sprint(line, " SSE=", sse, " DeletionPolicy=", (*r)["DeletionPolicy"]))
	}
	sort.Strings(lines)
	for _, line := range lines {
		fmt.Println(line)
	}
	tlsOnly := template.FindResources(jsii.String("AWS::S3::BucketPolicy"), map[string]any{
		"Properties": map[string]any{"PolicyDocument": assertions.Match_ObjectLike(&map[string]any{
			"Statement": assertions.Match_ArrayWith(&[]any{assertions.Match_ObjectLike(&map[string]any{
				"Effect": "Deny", "Condition": map[string]any{"Bool": map[string]any{"aws:SecureTransport": "false"}},
			})}),
		})},
	})
	fmt.Println("AWS::S3::BucketPolicy denying requests without TLS:", len(*tlsOnly))
	// Output:
	// AWS::S3::Bucket AccessLogs        SSE=AES256 DeletionPolicy=Retain
	// AWS::S3::Bucket Media             Versioning=Enabled LogFilePrefix=media/ CorsOrigins=[https://app.example.com] SSE=AES256 DeletionPolicy=Retain
	// AWS::S3::Bucket Static            LogFilePrefix=static/ SSE=AES256 DeletionPolicy=Retain
	// AWS::S3::BucketPolicy denying requests without TLS: 3
}
