// Package storage provides the S3 buckets of a Django app: one for user
// uploads (media), one for collectstatic output (static) and one that
// receives the other two's access logs. All are private, encrypted,
// TLS-only and have public access blocked.
package storage

import (
	"fmt"
	"github.com/djangocdk/djangocdk/constructs/internal/propserr"
	"net/url"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// Props configures a Storage.
type Props struct {
	// CorsAllowedOrigins may GET, PUT and POST media from the browser
	// (direct uploads with presigned URLs), such as "https://app.example.com".
	// Default: none, and no CORS rule.
	CorsAllowedOrigins []string
	// NoncurrentVersionDays keeps overwritten or deleted media versions this
	// long before they expire (at least 1). Default: 30.
	NoncurrentVersionDays int
	// AccessLogDays keeps access logs this long (at least 1). Default: 365.
	AccessLogDays int
	// RemovalPolicy of the buckets: RETAIN or DESTROY, which also empties
	// them on deletion.
	// Default: awscdk.RemovalPolicy_RETAIN.
	RemovalPolicy awscdk.RemovalPolicy
}

// Storage is a construct holding the media, static and access log
// buckets. Tags, dependencies and cdk-nag suppressions applied to it apply
// to everything it holds.
type Storage struct {
	constructs.Construct
	media, static, accessLogs awss3.Bucket
}

// New creates a Storage under scope. When props are invalid it creates
// nothing and returns every problem at once, each line starting with the
// construct's path and naming the field:
//
//	Shop/Storage: storage.Props.AccessLogDays: -5 is less than 1
func New(scope constructs.Construct, id string, props *Props) (*Storage, error) {
	p, err := props.check()
	if err != nil {
		return nil, propserr.Prefix(scope, id, err)
	}
	s := &Storage{}
	constructs.NewConstruct_Override(s, scope, jsii.String(id))
	destroy := p.RemovalPolicy == awscdk.RemovalPolicy_DESTROY

	accessLogs := awss3.NewBucket(s, jsii.String("AccessLogs"), &awss3.BucketProps{
		Encryption:        awss3.BucketEncryption_S3_MANAGED, // the log delivery service cannot write with KMS
		BlockPublicAccess: awss3.BlockPublicAccess_BLOCK_ALL(),
		EnforceSSL:        jsii.Bool(true),
		Versioned:         jsii.Bool(false),
		LifecycleRules: &[]*awss3.LifecycleRule{{
			Id:         jsii.String("expire-access-logs"),
			Expiration: awscdk.Duration_Days(jsii.Number(p.AccessLogDays)),
		}},
		RemovalPolicy:     p.RemovalPolicy,
		AutoDeleteObjects: jsii.Bool(destroy),
	})

	mediaCors := []*awss3.CorsRule{}
	if len(p.CorsAllowedOrigins) > 0 {
		mediaCors = append(mediaCors, &awss3.CorsRule{
			AllowedOrigins: jsii.Strings(p.CorsAllowedOrigins...),
			AllowedMethods: &[]awss3.HttpMethods{awss3.HttpMethods_GET, awss3.HttpMethods_PUT, awss3.HttpMethods_POST},
			AllowedHeaders: jsii.Strings("*"),
			ExposedHeaders: jsii.Strings("ETag"),
			MaxAge:         jsii.Number(3600),
		})
	}
	media := awss3.NewBucket(s, jsii.String("Media"), &awss3.BucketProps{
		Encryption:             awss3.BucketEncryption_S3_MANAGED,
		BlockPublicAccess:      awss3.BlockPublicAccess_BLOCK_ALL(),
		EnforceSSL:             jsii.Bool(true),
		Versioned:              jsii.Bool(true), // an overwritten or deleted upload can be restored
		Cors:                   &mediaCors,
		ServerAccessLogsBucket: accessLogs,
		ServerAccessLogsPrefix: jsii.String("media/"),
		LifecycleRules: &[]*awss3.LifecycleRule{{
			Id:                                  jsii.String("expire-old-versions"),
			NoncurrentVersionExpiration:         awscdk.Duration_Days(jsii.Number(p.NoncurrentVersionDays)),
			AbortIncompleteMultipartUploadAfter: awscdk.Duration_Days(jsii.Number(7)),
			ExpiredObjectDeleteMarker:           jsii.Bool(true),
		}},
		RemovalPolicy:     p.RemovalPolicy,
		AutoDeleteObjects: jsii.Bool(destroy),
	})
	static := awss3.NewBucket(s, jsii.String("Static"), &awss3.BucketProps{
		Encryption:             awss3.BucketEncryption_S3_MANAGED,
		BlockPublicAccess:      awss3.BlockPublicAccess_BLOCK_ALL(),
		EnforceSSL:             jsii.Bool(true),
		Versioned:              jsii.Bool(false), // collectstatic output is rebuilt from the image
		ServerAccessLogsBucket: accessLogs,
		ServerAccessLogsPrefix: jsii.String("static/"),
		LifecycleRules: &[]*awss3.LifecycleRule{{
			Id:                                  jsii.String("abort-incomplete-uploads"),
			AbortIncompleteMultipartUploadAfter: awscdk.Duration_Days(jsii.Number(7)),
		}},
		RemovalPolicy:     p.RemovalPolicy,
		AutoDeleteObjects: jsii.Bool(destroy),
	})
	s.media, s.static, s.accessLogs = media, static, accessLogs
	return s, nil
}

// AllowCloudFront lets the CloudFront distributions of account read the
// static and media buckets through Origin Access Control. The policy names
// the account's distributions, not one distribution: the buckets' stack
// must not depend on the CDN's, which depends on it.
func (s *Storage) AllowCloudFront(account *string) {
	for _, bucket := range []awss3.Bucket{s.static, s.media} {
		bucket.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:        jsii.String("CloudFrontOriginAccessControl"),
			Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("cloudfront.amazonaws.com"), nil)},
			Actions:    jsii.Strings("s3:GetObject"),
			Resources:  jsii.Strings(*bucket.ArnForObjects(jsii.String("*"))),
			Conditions: &map[string]any{"ArnLike": map[string]any{
				"AWS:SourceArn": awscdk.Fn_Join(jsii.String(""), jsii.Strings("arn:", *awscdk.Aws_PARTITION(), ":cloudfront::", *account, ":distribution/*")),
			}},
		}))
	}
}

// Media returns the bucket for user uploads.
func (s *Storage) Media() awss3.IBucket { return s.media }

// Static returns the bucket for collectstatic output.
func (s *Storage) Static() awss3.IBucket { return s.static }

// AccessLogs returns the bucket that receives the access logs.
func (s *Storage) AccessLogs() awss3.IBucket { return s.accessLogs }

// CheckOrigin reports whether origin is a browser origin such as
// https://app.example.com (a scheme and a host, no path).
func CheckOrigin(origin string) error {
	u, err := url.Parse(origin)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.Path != "" || u.RawQuery != "" || u.User != nil {
		return fmt.Errorf("%q is not an origin such as https://app.example.com (scheme and host, no path or trailing slash)", origin)
	}
	return nil
}

// Validate applies the defaults and checks every field (Storage has no
// field only a stack can supply). Each problem is a *propserr.FieldError
// whose Field is relative to Props ("CorsAllowedOrigins[0]").
func (props *Props) Validate() error {
	_, err := props.check()
	return err
}

// check returns a copy of props with the defaults applied, and every problem.
func (props *Props) check() (Props, error) {
	var p Props
	if props != nil {
		p = *props
	}
	if p.NoncurrentVersionDays == 0 {
		p.NoncurrentVersionDays = 30
	}
	if p.AccessLogDays == 0 {
		p.AccessLogDays = 365
	}
	if p.RemovalPolicy == "" {
		p.RemovalPolicy = awscdk.RemovalPolicy_RETAIN
	}
	var l propserr.List
	for i, origin := range p.CorsAllowedOrigins {
		l.Check(fmt.Sprintf("storage.Props.CorsAllowedOrigins[%d]", i), CheckOrigin(origin))
	}
	if p.NoncurrentVersionDays < 1 {
		l.Add("storage.Props.NoncurrentVersionDays", "%d is less than 1", p.NoncurrentVersionDays)
	}
	if p.AccessLogDays < 1 {
		l.Add("storage.Props.AccessLogDays", "%d is less than 1", p.AccessLogDays)
	}
	if p.RemovalPolicy != awscdk.RemovalPolicy_RETAIN && p.RemovalPolicy != awscdk.RemovalPolicy_DESTROY {
		l.Add("storage.Props.RemovalPolicy", "%q is not RETAIN or DESTROY", p.RemovalPolicy)
	}
	return p, l.Err()
}
