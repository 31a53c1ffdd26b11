package site_test

import (
	"fmt"
	"os"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
	"github.com/brokerage/platform/constructs/site"
	"github.com/brokerage/platform/internal/cfn"
)

// The web platform for Australia/New Zealand, the UK and Brazil needs
// PriceClass_All: the cheaper classes have no edge locations there.
func ExampleNew() {
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	app := cfn.NewApp(dir)
	stack := awscdk.NewStack(app, jsii.String("edge"), &awscdk.StackProps{Env: &awscdk.Environment{Account: jsii.String("111111111111"), Region: jsii.String("us-east-1")}})
	site.New(stack, "Site", &site.Props{ContentDir: "../../web", Markets: []string{"AU", "NZ", "GB", "BR"}, SPAFallback: true})

	d := cfn.Synth(app).Templates["edge"].Resources("AWS::CloudFront::Distribution")[0]
	fmt.Println(d.Props["DistributionConfig"].(map[string]any)["PriceClass"])
	// Output: PriceClass_All
}
