package stacks

import (
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudfront"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudfrontorigins"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/djangocdk/djangocdk/constructs/frontend"
)

// FrontendLayer is the layer name of the Frontend-CDN stack.
const FrontendLayer = "frontend"

// FrontendStack holds a CloudFront distribution and a bucket per frontend
// app, each routing Django's paths to the load balancer.
type FrontendStack struct {
	// Stack is the CloudFormation stack.
	Stack awscdk.Stack
	// Apps are the frontend apps, in the order of frontend.apps.
	Apps []*FrontendApp
	// LogBucket receives CloudFront's and the app buckets' access logs.
	LogBucket awss3.IBucket
}

// FrontendApp is one app and what the pipeline needs to publish it.
type FrontendApp struct {
	// Config is the app's configuration (its build folder among it).
	Config FrontendAppConfig
	// Frontend is the app's bucket and distribution.
	*frontend.Frontend
	// BucketParameter and DistributionParameter name the SSM parameters
	// that hold the bucket's name and the distribution's id (see shared.go).
	BucketParameter, DistributionParameter string
}

// NewFrontendStack creates the Frontend-CDN stack of cfg's environment.
func NewFrontendStack(scope constructs.Construct, cfg *Config, data *DataStack, compute *ComputeStack) (*FrontendStack, error) {
	stack := newStack(scope, cfg, FrontendLayer, "CloudFront and S3 for the frontend apps, with Django behind the same domain")
	destroy := cfg.Removal() == awscdk.RemovalPolicy_DESTROY
	logs := awss3.NewBucket(stack, jsii.String("Logs"), &awss3.BucketProps{
		Encryption:        awss3.BucketEncryption_S3_MANAGED,
		BlockPublicAccess: awss3.BlockPublicAccess_BLOCK_ALL(),
		EnforceSSL:        jsii.Bool(true),
		// CloudFront's standard logs are delivered with an ACL.
		ObjectOwnership: awss3.ObjectOwnership_BUCKET_OWNER_PREFERRED,
		LifecycleRules: &[]*awss3.LifecycleRule{{
			Id:         jsii.String("expire-logs"),
			Expiration: awscdk.Duration_Days(jsii.Number(cfg.Frontend.LogDays)),
		}},
		RemovalPolicy:     cfg.Removal(),
		AutoDeleteObjects: jsii.Bool(destroy),
	})
	suppress(logs, "AwsSolutions-S1", "This is the access log bucket; logging it into itself would loop.")

	w := cfg.Compute.Web
	originDomain, protocol := compute.Web.LoadBalancer().LoadBalancerDnsName(), awscloudfront.OriginProtocolPolicy_HTTP_ONLY
	if w.OriginDomainName != "" {
		originDomain, protocol = jsii.String(w.OriginDomainName), awscloudfront.OriginProtocolPolicy_HTTPS_ONLY
	}
	originProps := &awscloudfrontorigins.HttpOriginProps{
		ProtocolPolicy:     protocol,
		OriginSslProtocols: &[]awscloudfront.OriginSslPolicy{awscloudfront.OriginSslPolicy_TLS_V1_2},
		ReadTimeout:        awscdk.Duration_Seconds(jsii.Number(cloudFrontReadTimeout)),
		ConnectionAttempts: jsii.Number(3),
		ConnectionTimeout:  awscdk.Duration_Seconds(jsii.Number(10)),
		KeepaliveTimeout:   awscdk.Duration_Seconds(jsii.Number(5)),
	}
	if compute.OriginSecret != nil {
		// A dynamic reference to the secret, by its ARN read at deploy time.
		// CloudFront sends the first accepted version.
		arn := compute.Read(stack, compute.Shared.OriginSecretArn)
		originProps.CustomHeaders = &map[string]*string{OriginHeader: originSecretValue(arn, originSecretVersions(w.OriginSecretVersions)[0])}
	}
	django := &frontend.Django{
		Origin: awscloudfrontorigins.NewHttpOrigin(originDomain, originProps),
		Paths:  cfg.Frontend.DjangoPaths,
		// Imported by name: the buckets' policy lets the account's
		// distributions in (Storage.AllowCloudFront), so this stack does not
		// write into the Data stack.
		StaticBucket: data.Bucket(stack, "StaticBucket", ParamStaticBucket),
		MediaBucket:  data.Bucket(stack, "MediaBucket", ParamMediaBucket),
	}

	s := &FrontendStack{Stack: stack, LogBucket: logs}
	for _, app := range cfg.Frontend.Apps {
		f, err := frontend.New(stack, "App-"+app.Name, &frontend.Props{
			Name:           app.Name,
			SPA:            app.SPA,
			AssetsPath:     app.AssetsPath,
			DomainName:     app.DomainName,
			CertificateArn: app.CertificateArn,
			WebACLArn:      app.WebACLArn,
			Django:         django,
			LogBucket:      logs,
			PriceClass:     priceClass[cfg.Frontend.PriceClass],
			RemovalPolicy:  cfg.Removal(),
		})
		if err != nil {
			return nil, err
		}
		prefix := exportName(app.Name)
		s.Apps = append(s.Apps, &FrontendApp{
			Config: app, Frontend: f,
			BucketParameter:       share(stack, cfg, FrontendLayer, prefix+"BucketName", f.Bucket().BucketName()),
			DistributionParameter: share(stack, cfg, FrontendLayer, prefix+"DistributionId", f.Distribution().DistributionId()),
		})
		output(stack, prefix+"Bucket", "Bucket that "+app.BuildDir+" is published to", f.Bucket().BucketName())
		output(stack, prefix+"DistributionId", "Distribution to invalidate after a publish", f.Distribution().DistributionId())
		output(stack, prefix+"Url", "Address of the app", f.URL())
		suppressFrontendFindings(app, f, protocol)
		if len(s.Apps) == 1 {
			// Every app routes Django's paths; the first app's address is
			// the one to give users. (Not "<Name>Url": no app's outputs
			// can take this name.)
			output(stack, "DjangoAddress", "Django ("+strings.Join(cfg.Frontend.DjangoPaths, ", ")+") through CloudFront, at the "+app.Name+" app's address", f.URL())
		}
	}
	return s, nil
}

// priceClass maps the CloudFront price class names of the config to CDK's enum.
var priceClass = map[string]awscloudfront.PriceClass{
	"PriceClass_100": awscloudfront.PriceClass_PRICE_CLASS_100,
	"PriceClass_200": awscloudfront.PriceClass_PRICE_CLASS_200,
	"PriceClass_All": awscloudfront.PriceClass_PRICE_CLASS_ALL,
}

// exportName turns an app name ("admin-app") into an output name prefix ("AdminApp").
func exportName(name string) string {
	out := []byte{}
	upper := true
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c == '-':
			upper = true
		case upper && c >= 'a' && c <= 'z':
			out = append(out, c-'a'+'A')
			upper = false
		default:
			out = append(out, c)
			upper = false
		}
	}
	return string(out)
}

// suppressFrontendFindings records why cdk-nag's findings on an app's
// distribution do not apply.
func suppressFrontendFindings(app FrontendAppConfig, f *frontend.Frontend, toDjango awscloudfront.OriginProtocolPolicy) {
	// The static and media buckets' policy admits the account's
	// distributions (Storage.AllowCloudFront): nothing to update here.
	awscdk.Annotations_Of(f.Distribution()).AcknowledgeWarning(jsii.String("@aws-cdk/aws-cloudfront-origins:updateImportedBucketPolicyOac"),
		jsii.String("the Data stack's bucket policy admits this account's distributions"))
	if toDjango == awscloudfront.OriginProtocolPolicy_HTTP_ONLY {
		suppress(f.Distribution(), "AwsSolutions-CFR5",
			"The load balancer has no certificate in this environment (compute.web.certificateArn), so CloudFront reaches Django over HTTP, within AWS's network; set a certificate and compute.web.originDomainName for TLS to the origin.")
	}
	if app.DomainName == "" {
		suppress(f.Distribution(), "AwsSolutions-CFR4",
			"Without a custom domain (frontend.apps[].domainName) the distribution serves the *.cloudfront.net certificate, whose TLS policy CloudFront fixes; with one, TLS 1.2 is the minimum.")
	}
	suppress(f.Distribution(), "AwsSolutions-CFR1",
		"The app serves every country; a geo restriction is a legal or product decision for the team, not a default.")
	if app.WebACLArn == "" {
		suppress(f.Distribution(), "AwsSolutions-CFR2",
			"No WAF web ACL is configured for this app (frontend.apps[].webAclArn): WAF is a per-team cost decision.")
	}
}
