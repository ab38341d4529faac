package scheduledjob_test

import (
	"fmt"
	"log"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
	"github.com/aws/jsii-runtime-go"
	"github.com/djangocdk/djangocdk/constructs/apptask"
	"github.com/djangocdk/djangocdk/constructs/scheduledjob"
)

// Django's clearsessions every night at 03:00 UTC, never two at once, and
// stopped after 30 minutes.
func Example() {
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("Compute"), nil)
	vpc := awsec2.NewVpc(stack, jsii.String("Vpc"), &awsec2.VpcProps{MaxAzs: jsii.Number(2)})
	cluster := awsecs.NewCluster(stack, jsii.String("Cluster"), &awsecs.ClusterProps{Vpc: vpc})
	group := awsec2.NewSecurityGroup(stack, jsii.String("JobTasks"), &awsec2.SecurityGroupProps{Vpc: vpc})

	_, err := scheduledjob.New(stack, "ClearSessions", &scheduledjob.Props{
		Name:          "clearsessions",
		Schedule:      "cron(0 3 * * ? *)",
		Cluster:       cluster,
		SecurityGroup: group,
		Task: apptask.Props{
			Image:   awsecs.ContainerImage_FromRegistry(jsii.String("example/shop:3f2c1e9"), nil),
			Family:  "shop-production-job-clearsessions",
			Command: []string{"python", "manage.py", "clearsessions"},
		},
		TimeoutMinutes: 30,
	})
	if err != nil {
		log.Fatal(err)
	}
	template := assertions.Template_FromStack(stack, nil)
	for _, s := range *template.FindResources(jsii.String("AWS::Scheduler::Schedule"), nil) {
		fmt.Println((*s)["Properties"].(map[string]any)["ScheduleExpression"])
	}
	for _, d := range *template.FindResources(jsii.String("AWS::ECS::TaskDefinition"), nil) {
		fmt.Println((*d)["Properties"].(map[string]any)["Family"])
	}
	fmt.Println(scheduledjob.CheckSchedule("cron(0 3 * * * *)"))
	// Output:
	// cron(0 3 * * ? *)
	// shop-production-job-clearsessions
	// "cron(0 3 * * * *)" is not a schedule: day-of-month "*" and day-of-week "*" are both set; one of them must be "?"; want cron(minutes hours day-of-month month day-of-week year), such as cron(0 3 * * ? *), with "?" in one of day-of-month and day-of-week, or rate(N unit), such as rate(1 hour) or rate(15 minutes) (EventBridge Scheduler's syntax, in UTC)
}
