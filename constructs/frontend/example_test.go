package frontend_test

import (
	"fmt"
	"log"
	"sort"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudfrontorigins"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/jsii-runtime-go"
	"github.com/djangocdk/djangocdk/constructs/frontend"
)

// A single-page app on its own domain, with Django's API and admin behind
// the same domain.
func Example() {
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("Frontend"), nil)
	logs := awss3.NewBucket(stack, jsii.String("Logs"), &awss3.BucketProps{ObjectOwnership: awss3.ObjectOwnership_BUCKET_OWNER_PREFERRED})

	web, err := frontend.New(stack, "Web", &frontend.Props{
		Name:           "web",
		SPA:            true,
		DomainName:     "shop.example.com",
		CertificateArn: "arn:aws:acm:us-east-1:123456789012:certificate/0f0e0d0c-0b0a-0908-0706-050403020100",
		LogBucket:      logs,
		Django: &frontend.Django{
			Origin: awscloudfrontorigins.NewHttpOrigin(jsii.String("origin.shop.example.com"), nil),
			Paths:  []string{"/api/*", "/admin/*"},
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	_ = web.Bucket()                        // where the pipeline publishes apps/web/dist
	_ = web.Distribution().DistributionId() // what it invalidates
	// The Frontend is a construct: tag everything it holds.
	awscdk.Tags_Of(web).Add(jsii.String("app"), jsii.String("web"), nil)

	fmt.Println("construct:", *web.Node().Path())
	fmt.Println("URL:", stack.Resolve(web.URL()))
	template := assertions.Template_FromStack(stack, nil)
	counts := map[string]int{}
	for _, r := range (*template.ToJSON())["Resources"].(map[string]any) {
		counts[r.(map[string]any)["Type"].(string)]++
	}
	var types []string
	for typ := range counts {
		types = append(types, typ)
	}
	sort.Strings(types)
	for _, typ := range types {
		fmt.Println(counts[typ], typ)
	}
	for _, d := range *template.FindResources(jsii.String("AWS::CloudFront::Distribution"), nil) {
		config := (*d)["Properties"].(map[string]any)["DistributionConfig"].(map[string]any)
		fmt.Println("aliases:", config["Aliases"], "TLS:", config["ViewerCertificate"].(map[string]any)["MinimumProtocolVersion"])
		for _, b := range config["CacheBehaviors"].([]any) {
			behavior := b.(map[string]any)
			methods := behavior["AllowedMethods"]
			if methods == nil {
				methods = "[GET HEAD]"
			}
			fmt.Println("behavior", behavior["PathPattern"], "methods", methods)
		}
	}
	// Output:
	// construct: Frontend/Web
	// URL: https://shop.example.com
	// 1 AWS::CloudFront::Distribution
	// 2 AWS::CloudFront::Function
	// 1 AWS::CloudFront::OriginAccessControl
	// 2 AWS::S3::Bucket
	// 1 AWS::S3::BucketPolicy
	// aliases: [shop.example.com] TLS: TLSv1.2_2021
	// behavior /assets/* methods [GET HEAD]
	// behavior /api/* methods [GET HEAD OPTIONS PUT PATCH POST DELETE]
	// behavior /admin/* methods [GET HEAD OPTIONS PUT PATCH POST DELETE]
}
