// Package frontend provides one frontend app (a Turborepo build) on
// CloudFront and a private S3 bucket reached through Origin Access Control,
// with Django behind the same domain: its paths go to the load balancer,
// uncached, and /static/ and /media/ come from the app's buckets.
package frontend

import (
	"errors"
	"fmt"
	"github.com/djangocdk/djangocdk/constructs/internal/propserr"
	"regexp"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscertificatemanager"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudfront"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudfrontorigins"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

var namePattern = regexp.MustCompile(`^[a-z][a-z0-9-]{0,30}$`)

// Django routes some paths of the domain to the Django app.
type Django struct {
	// Origin is the load balancer in front of Django. Required.
	Origin awscloudfront.IOrigin
	// Paths go to Django, such as "/api/*" and "/admin/*". Required.
	Paths []string
	// StaticBucket serves /static/* (collectstatic output). Default: none.
	StaticBucket awss3.IBucket
	// MediaBucket serves /media/* (uploads). Default: none.
	MediaBucket awss3.IBucket
}

// Props configures a Frontend.
type Props struct {
	// Name of the app, such as "web". Required.
	Name string
	// SPA serves /index.html for paths without a file extension, so that
	// the app's router handles them. Default: false (a path ending in /
	// serves that folder's index.html, as static exports expect).
	SPA bool
	// AssetsPath holds the build's content-hashed files, cached for a year.
	// Default: "/assets/*" (Vite); Next.js uses "/_next/static/*".
	AssetsPath string
	// DomainName and CertificateArn (an ACM certificate in us-east-1) serve
	// the app on a custom domain. Default: the CloudFront domain only.
	DomainName, CertificateArn string
	// WebACLArn attaches a WAF web ACL (global scope). Default: none.
	WebACLArn string
	// Django routes paths of the domain to Django. Default: none.
	Django *Django
	// LogBucket receives the CloudFront access logs (its ACLs enabled, as
	// CloudFront requires) and the app bucket's access logs. Required.
	LogBucket awss3.IBucket
	// PriceClass of the edge locations. Default: awscloudfront.PriceClass_PRICE_CLASS_100.
	PriceClass awscloudfront.PriceClass
	// RemovalPolicy of the app's bucket. Default: awscdk.RemovalPolicy_RETAIN.
	RemovalPolicy awscdk.RemovalPolicy
}

// Frontend is one app's bucket and distribution, a construct of its own:
// tag it, depend on it, or scope a cdk-nag suppression to it.
type Frontend struct {
	constructs.Construct
	bucket       awss3.Bucket
	distribution awscloudfront.Distribution
	domain       string
	assetsPath   string
}

// New creates a Frontend under scope, or, before creating anything,
// returns an error that starts with the construct's path and names every
// invalid field of props.
func New(scope constructs.Construct, id string, props *Props) (*Frontend, error) {
	p, err := props.withDefaults()
	if err != nil {
		return nil, propserr.Prefix(scope, id, err)
	}
	f := &Frontend{assetsPath: p.AssetsPath}
	constructs.NewConstruct_Override(f, scope, jsii.String(id))
	construct := f
	destroy := p.RemovalPolicy == awscdk.RemovalPolicy_DESTROY
	bucket := awss3.NewBucket(construct, jsii.String("Bucket"), &awss3.BucketProps{
		Encryption:             awss3.BucketEncryption_S3_MANAGED,
		BlockPublicAccess:      awss3.BlockPublicAccess_BLOCK_ALL(),
		EnforceSSL:             jsii.Bool(true),
		Versioned:              jsii.Bool(true), // a bad publish can be rolled back file by file
		ServerAccessLogsBucket: p.LogBucket,
		ServerAccessLogsPrefix: jsii.String("s3/" + p.Name + "/"),
		LifecycleRules: &[]*awss3.LifecycleRule{{
			Id:                          jsii.String("expire-old-builds"),
			NoncurrentVersionExpiration: awscdk.Duration_Days(jsii.Number(30)),
		}},
		RemovalPolicy:     p.RemovalPolicy,
		AutoDeleteObjects: jsii.Bool(destroy),
	})

	headers := awscloudfront.ResponseHeadersPolicy_SECURITY_HEADERS() // HSTS, nosniff, frame options, referrer policy
	rewrite := directoryIndex
	if p.SPA {
		rewrite = spaFallback
	}
	appOrigin := awscloudfrontorigins.S3BucketOrigin_WithOriginAccessControl(bucket, nil)
	distributionProps := &awscloudfront.DistributionProps{
		Comment:           jsii.String("Frontend " + p.Name),
		DefaultRootObject: jsii.String("index.html"),
		HttpVersion:       awscloudfront.HttpVersion_HTTP2_AND_3,
		PriceClass:        p.PriceClass,
		EnableLogging:     jsii.Bool(true),
		LogBucket:         p.LogBucket,
		LogFilePrefix:     jsii.String("cloudfront/" + p.Name + "/"),
		DefaultBehavior: &awscloudfront.BehaviorOptions{
			Origin:               appOrigin,
			ViewerProtocolPolicy: awscloudfront.ViewerProtocolPolicy_REDIRECT_TO_HTTPS,
			Compress:             jsii.Bool(true),
			// index.html and other unhashed files: cached only as long as
			// their Cache-Control says, by default not at all.
			CachePolicy:           awscloudfront.CachePolicy_USE_ORIGIN_CACHE_CONTROL_HEADERS(),
			ResponseHeadersPolicy: headers,
			FunctionAssociations: &[]*awscloudfront.FunctionAssociation{{
				EventType: awscloudfront.FunctionEventType_VIEWER_REQUEST,
				Function:  viewerFunction(construct, "Rewrite", rewrite),
			}},
		},
	}
	if p.DomainName != "" {
		distributionProps.DomainNames = jsii.Strings(p.DomainName)
		distributionProps.Certificate = awscertificatemanager.Certificate_FromCertificateArn(construct, jsii.String("Certificate"), jsii.String(p.CertificateArn))
		distributionProps.MinimumProtocolVersion = awscloudfront.SecurityPolicyProtocol_TLS_V1_2_2021
	}
	if p.WebACLArn != "" {
		distributionProps.WebAclId = jsii.String(p.WebACLArn)
	}
	distribution := awscloudfront.NewDistribution(construct, jsii.String("Distribution"), distributionProps)

	// Behaviors are added one by one: their order is their precedence.
	// Hashed assets, collected static files and uploads: cached long.
	cached := &awscloudfront.AddBehaviorOptions{
		ViewerProtocolPolicy:  awscloudfront.ViewerProtocolPolicy_REDIRECT_TO_HTTPS,
		Compress:              jsii.Bool(true),
		CachePolicy:           awscloudfront.CachePolicy_CACHING_OPTIMIZED(),
		ResponseHeadersPolicy: headers,
	}
	distribution.AddBehavior(jsii.String(p.AssetsPath), appOrigin, cached)
	if d := p.Django; d != nil {
		forwardHost := viewerFunction(construct, "ForwardHost", forwardedHost)
		for _, path := range d.Paths {
			distribution.AddBehavior(jsii.String(path), d.Origin, &awscloudfront.AddBehaviorOptions{
				ViewerProtocolPolicy: awscloudfront.ViewerProtocolPolicy_REDIRECT_TO_HTTPS,
				AllowedMethods:       awscloudfront.AllowedMethods_ALLOW_ALL(),
				CachePolicy:          awscloudfront.CachePolicy_CACHING_DISABLED(),
				// Cookies, query strings and headers (CloudFront-Forwarded-Proto
				// among them), but not Host: the origin's certificate is for its own name.
				OriginRequestPolicy:   awscloudfront.OriginRequestPolicy_ALL_VIEWER_EXCEPT_HOST_HEADER(),
				ResponseHeadersPolicy: headers,
				Compress:              jsii.Bool(true),
				FunctionAssociations: &[]*awscloudfront.FunctionAssociation{{
					EventType: awscloudfront.FunctionEventType_VIEWER_REQUEST,
					Function:  forwardHost,
				}},
			})
		}
		for _, files := range []struct {
			path   string
			bucket awss3.IBucket
		}{{"/static/*", d.StaticBucket}, {"/media/*", d.MediaBucket}} {
			if files.bucket == nil {
				continue
			}
			origin := awscloudfrontorigins.S3BucketOrigin_WithOriginAccessControl(files.bucket, nil)
			distribution.AddBehavior(jsii.String(files.path), origin, cached)
		}
	}
	domain := p.DomainName
	if domain == "" {
		domain = *distribution.DistributionDomainName()
	}
	f.bucket, f.distribution, f.domain = bucket, distribution, domain
	return f, nil
}

// AssetsPath returns the path pattern of the build's hashed files, such as "/assets/*".
func (f *Frontend) AssetsPath() string { return f.assetsPath }

// Bucket returns the bucket the app's build is published to.
func (f *Frontend) Bucket() awss3.IBucket { return f.bucket }

// Distribution returns the CloudFront distribution.
func (f *Frontend) Distribution() awscloudfront.Distribution { return f.distribution }

// URL is the app's address.
func (f *Frontend) URL() *string {
	return awscdk.Fn_Join(jsii.String(""), jsii.Strings("https://", f.domain))
}

// CloudFront Functions (JavaScript 2.0) run on the viewer request.
const (
	// spaFallback serves the app's index.html for routes of its router:
	// paths whose last segment has no file extension.
	spaFallback = `function handler(event) {
  var request = event.request;
  var last = request.uri.split('/').pop();
  if (last.indexOf('.') === -1) {
    request.uri = '/index.html';
  }
  return request;
}`
	// directoryIndex serves folder/index.html for folder/ and folder.
	directoryIndex = `function handler(event) {
  var request = event.request;
  if (request.uri.endsWith('/')) {
    request.uri += 'index.html';
  } else if (request.uri.split('/').pop().indexOf('.') === -1) {
    request.uri += '/index.html';
  }
  return request;
}`
	// forwardedHost tells Django the host the viewer asked for
	// (USE_X_FORWARDED_HOST), since Host itself is the origin's name.
	forwardedHost = `function handler(event) {
  var request = event.request;
  request.headers['x-forwarded-host'] = { value: request.headers.host.value };
  return request;
}`
)

func viewerFunction(scope constructs.Construct, id, code string) awscloudfront.Function {
	return awscloudfront.NewFunction(scope, jsii.String(id), &awscloudfront.FunctionProps{
		Code:    awscloudfront.FunctionCode_FromInline(jsii.String(code)),
		Runtime: awscloudfront.FunctionRuntime_JS_2_0(),
	})
}

// CheckName reports whether name is an app name: it prefixes output and
// log names.
func CheckName(name string) error {
	if !namePattern.MatchString(name) {
		return fmt.Errorf("%q is not an app name (lowercase letters, digits, hyphens)", name)
	}
	return nil
}

// CheckPath reports whether path is a CloudFront path pattern such as /api/*.
func CheckPath(path string) error {
	if !strings.HasPrefix(path, "/") || strings.ContainsAny(path, " ?#") || len(path) > 255 {
		return fmt.Errorf("%q is not a path pattern such as /api/*", path)
	}
	return nil
}

func (props *Props) withDefaults() (Props, error) {
	var p Props
	if props != nil {
		p = *props
	}
	if p.AssetsPath == "" {
		p.AssetsPath = "/assets/*"
	}
	if p.PriceClass == "" {
		p.PriceClass = awscloudfront.PriceClass_PRICE_CLASS_100
	}
	if p.RemovalPolicy == "" {
		p.RemovalPolicy = awscdk.RemovalPolicy_RETAIN
	}
	var problems []error
	if err := CheckName(p.Name); err != nil {
		problems = append(problems, fmt.Errorf("frontend.Props.Name: %w", err))
	}
	if err := CheckPath(p.AssetsPath); err != nil {
		problems = append(problems, fmt.Errorf("frontend.Props.AssetsPath: %w", err))
	}
	if (p.DomainName == "") != (p.CertificateArn == "") {
		problems = append(problems, errors.New("frontend.Props.DomainName, CertificateArn: set both or neither"))
	}
	if p.LogBucket == nil {
		problems = append(problems, errors.New("frontend.Props.LogBucket: required (CloudFront access logs)"))
	}
	if d := p.Django; d != nil {
		if d.Origin == nil {
			problems = append(problems, errors.New("frontend.Props.Django.Origin: required (the load balancer in front of Django)"))
		}
		if len(d.Paths) == 0 {
			problems = append(problems, errors.New("frontend.Props.Django.Paths: at least one path, such as /api/*"))
		}
		for i, path := range d.Paths {
			if err := CheckPath(path); err != nil {
				problems = append(problems, fmt.Errorf("frontend.Props.Django.Paths[%d]: %w", i, err))
			}
		}
	}
	if len(problems) > 0 {
		return p, errors.Join(problems...)
	}
	return p, nil
}
