package storage_test

import (
	"log"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
	"github.com/djangocdk/djangocdk/constructs/storage"
)

// Media and static buckets for a Django app whose frontend uploads directly.
func Example() {
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("Data"), nil)
	buckets, err := storage.New(stack, "Storage", &storage.Props{
		CorsAllowedOrigins: []string{"https://app.example.com"},
	})
	if err != nil {
		log.Fatal(err)
	}
	_ = buckets.Media().BucketName()  // DJANGO_AWS_STORAGE_BUCKET_NAME
	_ = buckets.Static().BucketName() // where collectstatic writes
}
