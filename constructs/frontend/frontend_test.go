package frontend

import (
	"errors"
	"github.com/djangocdk/djangocdk/constructs/internal/templatetest"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudfront"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudfrontorigins"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/jsii-runtime-go"
)

type placeholderBucket struct{ awss3.IBucket }
type placeholderOrigin struct{ awscloudfront.IOrigin }

// newStack returns a stack in an App of its own: the test binary shares
// one node process, but not one App, since an App whose tree changes after
// a synthesis (Template_FromStack synthesizes it) refuses to synthesize again.
func newStack(name string) awscdk.Stack {
	return awscdk.NewStack(awscdk.NewApp(nil), jsii.String(name), nil)
}

// newFrontend creates a Frontend in a new stack with a log bucket.
func newFrontend(t *testing.T, stackName string, props Props) (awscdk.Stack, *Frontend) {
	t.Helper()
	stack := newStack(stackName)
	props.LogBucket = awss3.NewBucket(stack, jsii.String("Logs"), &awss3.BucketProps{ObjectOwnership: awss3.ObjectOwnership_BUCKET_OWNER_PREFERRED})
	f, err := New(stack, "Web", &props)
	if err != nil {
		t.Fatal(err)
	}
	return stack, f
}

func TestNewRejectsInvalidProps(t *testing.T) {
	logs := placeholderBucket{}
	cases := map[string]struct {
		props Props
		want  string
	}{
		"name":        {Props{Name: "Web", LogBucket: logs}, `Frontend: frontend.Props.Name: "Web" is not an app name`},
		"assets":      {Props{Name: "web", AssetsPath: "assets/*", LogBucket: logs}, `Frontend: frontend.Props.AssetsPath: "assets/*" is not a path pattern`},
		"domain":      {Props{Name: "web", DomainName: "x.example.com", LogBucket: logs}, "Frontend: frontend.Props.DomainName, CertificateArn: set both or neither"},
		"logs":        {Props{Name: "web"}, "Frontend: frontend.Props.LogBucket: required"},
		"origin":      {Props{Name: "web", LogBucket: logs, Django: &Django{Paths: []string{"/api/*"}}}, "Frontend: frontend.Props.Django.Origin: required"},
		"paths":       {Props{Name: "web", LogBucket: logs, Django: &Django{Origin: placeholderOrigin{}}}, "Frontend: frontend.Props.Django.Paths: at least one path"},
		"django path": {Props{Name: "web", LogBucket: logs, Django: &Django{Origin: placeholderOrigin{}, Paths: []string{"api/*"}}}, `Frontend: frontend.Props.Django.Paths[0]: "api/*" is not a path pattern`},
	}
	for name, c := range cases {
		if _, err := New(nil, "Frontend", &c.props); err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %s...", name, err, c.want)
		}
	}
}

// Every problem is reported at once, each line starting with the
// construct's path, and nothing is created.
func TestNewReportsEveryProblemUnderTheConstructPath(t *testing.T) {
	stack := newStack("Invalid")
	_, err := New(stack, "Web", &Props{Name: "Web", DomainName: "x.example.com", Django: &Django{Paths: []string{"api/*"}}})
	if err == nil {
		t.Fatal("no error")
	}
	lines := strings.Split(err.Error(), "\n")
	want := []string{"Name", "DomainName, CertificateArn", "LogBucket", "Django.Origin", "Django.Paths[0]"}
	if len(lines) != len(want) {
		t.Fatalf("%d problems, want %d:\n%v", len(lines), len(want), err)
	}
	for i, field := range want {
		if prefix := "Invalid/Web: frontend.Props." + field + ":"; !strings.HasPrefix(lines[i], prefix) {
			t.Errorf("problem %d: %q, want %s...", i, lines[i], prefix)
		}
	}
	if len(errors.Unwrap(err.(interface{ Unwrap() []error }).Unwrap()[0]).Error()) == 0 {
		t.Errorf("a problem does not wrap its cause")
	}
	if n := len(*stack.Node().Children()); n != 0 {
		t.Errorf("%d constructs created before the validation failed", n)
	}
}

// The defaults: a private, versioned, encrypted bucket kept on deletion,
// reached through Origin Access Control; a distribution on its CloudFront
// domain that serves folder/index.html, caches /assets/* for long and
// logs under cloudfront/<name>/.
func TestDefaults(t *testing.T) {
	stack, f := newFrontend(t, "Defaults", Props{Name: "web"})
	templatetest.Assert(t, stack, func(tmpl assertions.Template) {
		tmpl.ResourceCountIs(jsii.String("AWS::CloudFront::Distribution"), jsii.Number(1))
		tmpl.ResourceCountIs(jsii.String("AWS::CloudFront::Function"), jsii.Number(1))
		tmpl.ResourceCountIs(jsii.String("AWS::CloudFront::OriginAccessControl"), jsii.Number(1))
		tmpl.HasResource(jsii.String("AWS::S3::Bucket"), map[string]any{
			"DeletionPolicy": "Retain",
			"Properties": assertions.Match_ObjectLike(&map[string]any{
				"VersioningConfiguration": map[string]any{"Status": "Enabled"},
				"BucketEncryption": map[string]any{"ServerSideEncryptionConfiguration": []any{
					map[string]any{"ServerSideEncryptionByDefault": map[string]any{"SSEAlgorithm": "AES256"}},
				}},
				"PublicAccessBlockConfiguration": map[string]any{
					"BlockPublicAcls": true, "BlockPublicPolicy": true, "IgnorePublicAcls": true, "RestrictPublicBuckets": true,
				},
				"LoggingConfiguration": assertions.Match_ObjectLike(&map[string]any{"LogFilePrefix": "s3/web/"}),
			}),
		})
		tmpl.HasResourceProperties(jsii.String("AWS::CloudFront::Distribution"), map[string]any{
			"DistributionConfig": assertions.Match_ObjectLike(&map[string]any{
				"Comment":           "Frontend web",
				"DefaultRootObject": "index.html",
				"HttpVersion":       "http2and3",
				"PriceClass":        "PriceClass_100",
				"Aliases":           assertions.Match_Absent(),
				"Logging":           assertions.Match_ObjectLike(&map[string]any{"Prefix": "cloudfront/web/"}),
				"DefaultCacheBehavior": assertions.Match_ObjectLike(&map[string]any{
					"ViewerProtocolPolicy":    "redirect-to-https",
					"CachePolicyId":           "83da9c7e-98b4-4e11-a168-04f0df8e2c65", // UseOriginCacheControlHeaders
					"ResponseHeadersPolicyId": "67f7725c-6f97-4210-82d7-5512b31e9d03", // SecurityHeadersPolicy
				}),
				"CacheBehaviors": []any{assertions.Match_ObjectLike(&map[string]any{
					"PathPattern":   "/assets/*",
					"CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6", // CachingOptimized
				})},
			}),
		})
		tmpl.HasResourceProperties(jsii.String("AWS::CloudFront::Function"), map[string]any{
			"FunctionCode":   directoryIndex,
			"FunctionConfig": assertions.Match_ObjectLike(&map[string]any{"Runtime": "cloudfront-js-2.0"}),
		})
	})
	if f.AssetsPath() != "/assets/*" {
		t.Errorf("AssetsPath %s", f.AssetsPath())
	}
}

// SPA: paths without a file extension serve /index.html.
func TestSPA(t *testing.T) {
	stack, _ := newFrontend(t, "SPA", Props{Name: "web", SPA: true, AssetsPath: "/_next/static/*"})
	templatetest.Assert(t, stack, func(tmpl assertions.Template) {
		tmpl.HasResourceProperties(jsii.String("AWS::CloudFront::Function"), map[string]any{"FunctionCode": spaFallback})
		tmpl.HasResourceProperties(jsii.String("AWS::CloudFront::Distribution"), map[string]any{
			"DistributionConfig": assertions.Match_ObjectLike(&map[string]any{
				"CacheBehaviors": []any{assertions.Match_ObjectLike(&map[string]any{"PathPattern": "/_next/static/*"})},
			}),
		})
	})
}

// A custom domain: the alias, the certificate and TLS 1.2 at least; a WAF
// web ACL and another price class.
func TestCustomDomain(t *testing.T) {
	const certificate = "arn:aws:acm:us-east-1:123456789012:certificate/0f0e0d0c-0b0a-0908-0706-050403020100"
	const acl = "arn:aws:wafv2:us-east-1:123456789012:global/webacl/shop/0f0e0d0c-0b0a-0908-0706-050403020100"
	stack, f := newFrontend(t, "CustomDomain", Props{
		Name: "shop", DomainName: "shop.example.com", CertificateArn: certificate, WebACLArn: acl,
		PriceClass: awscloudfront.PriceClass_PRICE_CLASS_ALL,
	})
	templatetest.Assert(t, stack, func(tmpl assertions.Template) {
		tmpl.HasResourceProperties(jsii.String("AWS::CloudFront::Distribution"), map[string]any{
			"DistributionConfig": assertions.Match_ObjectLike(&map[string]any{
				"Aliases": []any{"shop.example.com"},
				"ViewerCertificate": map[string]any{
					"AcmCertificateArn": certificate, "MinimumProtocolVersion": "TLSv1.2_2021", "SslSupportMethod": "sni-only",
				},
				"WebACLId":   acl,
				"PriceClass": "PriceClass_All",
			}),
		})
	})
	if got := stack.Resolve(f.URL()); got != "https://shop.example.com" {
		t.Errorf("URL %v", got)
	}
}

// Django behind the same domain: its paths uncached, every method, the
// viewer's host forwarded; /static/ and /media/ from their buckets.
func TestDjango(t *testing.T) {
	stack := newStack("Django")
	bucket := func(id string) awss3.IBucket { return awss3.NewBucket(stack, jsii.String(id), nil) }
	_, err := New(stack, "Web", &Props{
		Name: "web", LogBucket: bucket("Logs"),
		Django: &Django{
			Origin:       awscloudfrontorigins.NewHttpOrigin(jsii.String("origin.example.com"), nil),
			Paths:        []string{"/api/*", "/admin/*"},
			StaticBucket: bucket("Static"), MediaBucket: bucket("Media"),
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	toDjango := func(path string) any {
		return assertions.Match_ObjectLike(&map[string]any{
			"PathPattern":           path,
			"AllowedMethods":        []any{"GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE"},
			"CachePolicyId":         "4135ea2d-6df8-44a3-9df3-4b5a84be39ad", // CachingDisabled
			"OriginRequestPolicyId": "b689b0a8-53d0-40ab-baf2-68738e2966ac", // AllViewerExceptHostHeader
		})
	}
	cached := func(path string) any {
		return assertions.Match_ObjectLike(&map[string]any{"PathPattern": path, "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6"})
	}
	templatetest.Assert(t, stack, func(tmpl assertions.Template) {
		// Their order is their precedence.
		tmpl.HasResourceProperties(jsii.String("AWS::CloudFront::Distribution"), map[string]any{
			"DistributionConfig": assertions.Match_ObjectLike(&map[string]any{
				"CacheBehaviors": []any{cached("/assets/*"), toDjango("/api/*"), toDjango("/admin/*"), cached("/static/*"), cached("/media/*")},
			}),
		})
		tmpl.ResourceCountIs(jsii.String("AWS::CloudFront::Function"), jsii.Number(2))
		tmpl.HasResourceProperties(jsii.String("AWS::CloudFront::Function"), map[string]any{"FunctionCode": forwardedHost})
	})
}

// RemovalPolicy DESTROY empties the bucket on deletion.
func TestRemovalPolicyDestroy(t *testing.T) {
	stack, _ := newFrontend(t, "Destroy", Props{Name: "web", RemovalPolicy: awscdk.RemovalPolicy_DESTROY})
	templatetest.Assert(t, stack, func(tmpl assertions.Template) {
		tmpl.HasResource(jsii.String("AWS::S3::Bucket"), map[string]any{
			"DeletionPolicy": "Delete",
			"Properties":     assertions.Match_ObjectLike(&map[string]any{"LoggingConfiguration": assertions.Match_AnyValue()}),
		})
		tmpl.ResourceCountIs(jsii.String("Custom::S3AutoDeleteObjects"), jsii.Number(1))
	})
}

// A Frontend is a construct: its resources are its children, tags and
// dependencies apply to all of them, and their logical ids are those of a
// plain construct with the same id.
func TestIsAConstruct(t *testing.T) {
	stack, f := newFrontend(t, "Construct", Props{Name: "web"})
	other := awss3.NewBucket(stack, jsii.String("Other"), nil)
	awscdk.Tags_Of(f).Add(jsii.String("app"), jsii.String("web"), nil)
	f.Node().AddDependency(other)
	if got := *f.Node().Path(); got != "Construct/Web" {
		t.Errorf("path %s", got)
	}
	if got := *f.Bucket().Node().Scope().Node().Path(); got != "Construct/Web" {
		t.Errorf("the bucket is under %s", got)
	}
	id := *stack.GetLogicalId(f.Distribution().Node().DefaultChild().(awscdk.CfnElement))
	if !strings.HasPrefix(id, "WebDistribution") {
		t.Errorf("distribution logical id %s", id)
	}
	templatetest.Assert(t, stack, func(tmpl assertions.Template) {
		tmpl.HasResourceProperties(jsii.String("AWS::CloudFront::Distribution"), map[string]any{
			"Tags": []any{map[string]any{"Key": "app", "Value": "web"}},
		})
		tmpl.HasResource(jsii.String("AWS::CloudFront::Distribution"), map[string]any{
			"DependsOn": assertions.Match_ArrayWith(&[]any{assertions.Match_StringLikeRegexp(jsii.String("^Other"))}),
		})
	})
}
