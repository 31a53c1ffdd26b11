package regions

import (
	"maps"
	"slices"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/regioninfo"
	"github.com/aws/jsii-runtime-go"
)

// Partition agrees with the CDK's region facts on every known region and on
// a region of every other partition.
func TestPartitionIsTheCDKs(t *testing.T) {
	others := []string{"cn-north-1", "cn-northwest-1", "us-gov-west-1", "us-gov-east-1", "us-iso-east-1", "us-isob-east-1"}
	for _, r := range append(slices.Sorted(maps.Keys(knownRegions)), others...) {
		want := regioninfo.RegionInfo_Get(jsii.String(r)).Partition()
		if want == nil {
			t.Errorf("the CDK knows no partition of %s", r)
			continue
		}
		if got := Partition(r); got != *want {
			t.Errorf("Partition(%q) = %q, the CDK says %q", r, got, *want)
		}
	}
	for r, want := range map[string]string{"cn-north-1": "aws-cn", "us-gov-west-1": "aws-us-gov", "eu-isoe-west-1": "aws-iso-e", "us-isof-south-1": "aws-iso-f", "eu-west-2": "aws"} {
		if got := Partition(r); got != want {
			t.Errorf("Partition(%q) = %q, want %q", r, got, want)
		}
	}
}
