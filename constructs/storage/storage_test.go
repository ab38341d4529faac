package storage

import (
	"github.com/djangocdk/djangocdk/constructs/internal/templatetest"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
)

// stacks hands out this test binary's stacks: one App, each test's stack
// in a stage of its own.
var stacks = templatetest.NewStaged()

func TestCheckOrigin(t *testing.T) {
	for origin, ok := range map[string]bool{
		"https://app.example.com": true, "http://localhost:3000": true,
		"https://app.example.com/": false, "app.example.com": false, "ftp://x.example.com": false,
		"https://app.example.com/path": false, "*": false, "https://user@app.example.com": false,
	} {
		if err := CheckOrigin(origin); (err == nil) != ok {
			t.Errorf("CheckOrigin(%q) = %v, want ok=%v", origin, err, ok)
		}
	}
}

func TestNewRejectsInvalidProps(t *testing.T) {
	cases := map[string]struct {
		props Props
		want  string
	}{
		"origin":   {Props{CorsAllowedOrigins: []string{"https://a.example.com", "a.example.com"}}, `Storage: storage.Props.CorsAllowedOrigins[1]: "a.example.com" is not an origin such as https://app.example.com (scheme and host, no path or trailing slash)`},
		"versions": {Props{NoncurrentVersionDays: -1}, `Storage: storage.Props.NoncurrentVersionDays: -1 is less than 1`},
		"logs":     {Props{AccessLogDays: -5}, `Storage: storage.Props.AccessLogDays: -5 is less than 1`},
		"removal":  {Props{RemovalPolicy: "snapshot"}, `Storage: storage.Props.RemovalPolicy: "snapshot" is not RETAIN or DESTROY`},
	}
	for name, c := range cases {
		if _, err := New(nil, "Storage", &c.props); err == nil || err.Error() != c.want {
			t.Errorf("%s: error %v, want %s", name, err, c.want)
		}
	}
}

// Every problem is reported at once, one line each, under the construct's
// path; nothing is created.
func TestNewReportsEveryProblem(t *testing.T) {
	stack := stacks.Stack(t)
	_, err := New(stack, "Storage", &Props{CorsAllowedOrigins: []string{"*", "https://ok.example.com", "x/"}, AccessLogDays: -1})
	want := strings.Join([]string{
		`TestNewReportsEveryProblem/Shop/Storage: storage.Props.CorsAllowedOrigins[0]: "*" is not an origin such as https://app.example.com (scheme and host, no path or trailing slash)`,
		`TestNewReportsEveryProblem/Shop/Storage: storage.Props.CorsAllowedOrigins[2]: "x/" is not an origin such as https://app.example.com (scheme and host, no path or trailing slash)`,
		`TestNewReportsEveryProblem/Shop/Storage: storage.Props.AccessLogDays: -1 is less than 1`,
	}, "\n")
	if err == nil || err.Error() != want {
		t.Fatalf("error:\n%v\nwant:\n%s", err, want)
	}
	if n := len(*stack.Node().Children()); n != 0 {
		t.Errorf("the stack has %d children after a failed New, want none", n)
	}
}

// The defaults: three private, encrypted, TLS-only buckets, retained with
// the stack; media versioned (old versions kept 30 days), access logs kept a
// year; no CORS rule and no CloudFront access.
func TestSynthDefaults(t *testing.T) {
	stack := stacks.Stack(t)
	if _, err := New(stack, "Storage", nil); err != nil {
		t.Fatal(err)
	}
	tmpl := templatetest.FromStack(t, stack).Template
	blocked := map[string]any{"BlockPublicAcls": true, "BlockPublicPolicy": true, "IgnorePublicAcls": true, "RestrictPublicBuckets": true}
	encrypted := map[string]any{"ServerSideEncryptionConfiguration": []any{map[string]any{"ServerSideEncryptionByDefault": map[string]any{"SSEAlgorithm": "AES256"}}}}
	templatetest.Must(t, func() {
		tmpl.ResourceCountIs(jsii.String("AWS::S3::Bucket"), jsii.Number(3))
		tmpl.AllResources(jsii.String("AWS::S3::Bucket"), map[string]any{
			"Properties":     assertions.Match_ObjectLike(&map[string]any{"PublicAccessBlockConfiguration": blocked, "BucketEncryption": encrypted}),
			"DeletionPolicy": "Retain",
		})
		tmpl.HasResourceProperties(jsii.String("AWS::S3::Bucket"), map[string]any{
			"VersioningConfiguration": map[string]any{"Status": "Enabled"},
			"CorsConfiguration":       assertions.Match_Absent(),
			"LoggingConfiguration":    map[string]any{"DestinationBucketName": map[string]any{"Ref": "StorageAccessLogs96FB524C"}, "LogFilePrefix": "media/"},
			"LifecycleConfiguration": map[string]any{"Rules": []any{assertions.Match_ObjectLike(&map[string]any{
				"Id": "expire-old-versions", "NoncurrentVersionExpiration": map[string]any{"NoncurrentDays": 30},
				"AbortIncompleteMultipartUpload": map[string]any{"DaysAfterInitiation": 7}, "ExpiredObjectDeleteMarker": true,
			})}},
		})
		tmpl.HasResourceProperties(jsii.String("AWS::S3::Bucket"), map[string]any{
			"LifecycleConfiguration": map[string]any{"Rules": []any{assertions.Match_ObjectLike(&map[string]any{
				"Id": "expire-access-logs", "ExpirationInDays": 365,
			})}},
		})
		// TLS only: every bucket policy denies requests without it.
		tmpl.ResourceCountIs(jsii.String("AWS::S3::BucketPolicy"), jsii.Number(3))
		tmpl.AllResourcesProperties(jsii.String("AWS::S3::BucketPolicy"), map[string]any{
			"PolicyDocument": assertions.Match_ObjectLike(&map[string]any{"Statement": assertions.Match_ArrayWith(&[]any{
				assertions.Match_ObjectLike(&map[string]any{"Effect": "Deny", "Condition": map[string]any{"Bool": map[string]any{"aws:SecureTransport": "false"}}}),
			})}),
		})
		tmpl.ResourceCountIs(jsii.String("Custom::S3AutoDeleteObjects"), jsii.Number(0))
	})
}

// DESTROY deletes and empties the buckets with the stack; CORS lets the
// frontend upload media directly; AllowCloudFront lets the account's
// distributions read static and media files.
func TestSynthDestroyCorsCloudFront(t *testing.T) {
	stack := stacks.Stack(t)
	s, err := New(stack, "Storage", &Props{
		CorsAllowedOrigins: []string{"https://app.example.com"}, NoncurrentVersionDays: 7, AccessLogDays: 30,
		RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
	})
	if err != nil {
		t.Fatal(err)
	}
	s.AllowCloudFront(jsii.String("123456789012"))
	tmpl := templatetest.FromStack(t, stack).Template
	templatetest.Must(t, func() {
		tmpl.AllResources(jsii.String("AWS::S3::Bucket"), map[string]any{"DeletionPolicy": "Delete"})
		tmpl.ResourceCountIs(jsii.String("Custom::S3AutoDeleteObjects"), jsii.Number(3))
		tmpl.HasResourceProperties(jsii.String("AWS::S3::Bucket"), map[string]any{
			"CorsConfiguration": map[string]any{"CorsRules": []any{map[string]any{
				"AllowedOrigins": []any{"https://app.example.com"}, "AllowedMethods": []any{"GET", "PUT", "POST"},
				"AllowedHeaders": []any{"*"}, "ExposedHeaders": []any{"ETag"}, "MaxAge": 3600,
			}}},
			"LifecycleConfiguration": map[string]any{"Rules": []any{assertions.Match_ObjectLike(&map[string]any{
				"NoncurrentVersionExpiration": map[string]any{"NoncurrentDays": 7},
			})}},
		})
		tmpl.HasResourceProperties(jsii.String("AWS::S3::Bucket"), map[string]any{
			"LifecycleConfiguration": map[string]any{"Rules": []any{assertions.Match_ObjectLike(&map[string]any{"ExpirationInDays": 30})}},
		})
		for _, bucket := range []string{"StorageMedia9333CB25", "StorageStatic176D1A00"} {
			tmpl.HasResourceProperties(jsii.String("AWS::S3::BucketPolicy"), map[string]any{
				"Bucket": map[string]any{"Ref": bucket},
				"PolicyDocument": assertions.Match_ObjectLike(&map[string]any{"Statement": assertions.Match_ArrayWith(&[]any{
					assertions.Match_ObjectLike(&map[string]any{
						"Sid": "CloudFrontOriginAccessControl", "Effect": "Allow", "Action": "s3:GetObject",
						"Principal": map[string]any{"Service": "cloudfront.amazonaws.com"},
					}),
				})}),
			})
		}
	})
}

// A Storage is a construct: tags given to it reach its buckets, and the
// logical IDs are those of the stacks' golden files.
func TestIsConstruct(t *testing.T) {
	stack := stacks.Stack(t)
	s, err := New(stack, "Storage", nil)
	if err != nil {
		t.Fatal(err)
	}
	awscdk.Tags_Of(s).Add(jsii.String("team"), jsii.String("platform"), nil)
	tmpl := templatetest.FromStack(t, stack).Template
	templatetest.Must(t, func() {
		tmpl.AllResourcesProperties(jsii.String("AWS::S3::Bucket"), map[string]any{
			"Tags": assertions.Match_ArrayWith(&[]any{map[string]any{"Key": "team", "Value": "platform"}}),
		})
	})
	buckets := *tmpl.FindResources(jsii.String("AWS::S3::Bucket"), nil)
	for _, id := range []string{"StorageAccessLogs96FB524C", "StorageMedia9333CB25", "StorageStatic176D1A00"} {
		if _, ok := buckets[id]; !ok {
			t.Errorf("no bucket with logical ID %s", id)
		}
	}
}
