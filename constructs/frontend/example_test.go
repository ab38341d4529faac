package frontend_test

import (
	"log"

	"github.com/aws/aws-cdk-go/awscdk/v2"
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
}
