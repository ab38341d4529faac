package stacks

import "fmt"

// cloudFrontPrefixLists are the ids of the AWS-managed prefix list
// com.amazonaws.global.cloudfront.origin-facing in each region where they
// are known here; the id differs per region. Elsewhere,
// compute.web.cloudFrontPrefixListId must be given.
var cloudFrontPrefixLists = map[string]string{
	"ap-northeast-1": "pl-58a04531", "ap-northeast-2": "pl-22a6434b", "ap-south-1": "pl-9aa247f3",
	"ap-southeast-1": "pl-31a34658", "ap-southeast-2": "pl-b8a742d1", "ca-central-1": "pl-38a64351",
	"eu-central-1": "pl-a3a144ca", "eu-north-1": "pl-fab65393", "eu-west-1": "pl-4fa04526",
	"eu-west-2": "pl-93a247fa", "eu-west-3": "pl-75b1541c", "sa-east-1": "pl-5da64334",
	"us-east-1": "pl-3b927c52", "us-east-2": "pl-b6a144df", "us-west-1": "pl-4ea04527",
	"us-west-2": "pl-82a045eb",
}

// lookUpPrefixList is the command that prints a region's list.
const lookUpPrefixList = "aws ec2 describe-managed-prefix-lists --region %s --filters Name=prefix-list-name,Values=com.amazonaws.global.cloudfront.origin-facing"

// resolvePrefixList fills an empty compute.web.cloudFrontPrefixListId with
// the region's list and rejects another known region's list. It reports
// whether the key is left to check as a prefix list id.
func (c *Config) resolvePrefixList(v *validator) bool {
	const key = "compute.web.cloudFrontPrefixListId"
	w := &c.Compute.Web
	own, known := cloudFrontPrefixLists[c.Region]
	if w.CloudFrontPrefixListID == "" {
		if !known {
			if regionPattern.MatchString(c.Region) { // else the region's own check says why
				v.fail(key, "empty, and djangocdk knows no CloudFront origin-facing prefix list of %s (each region has its own id); look it up with "+lookUpPrefixList+" and set it", c.Region, c.Region)
			}
			return false
		}
		w.CloudFrontPrefixListID = own
		return true
	}
	for region, id := range cloudFrontPrefixLists {
		if id == w.CloudFrontPrefixListID && region != c.Region {
			want := fmt.Sprintf("%s's is %s: remove the key to use it", c.Region, own)
			if !known {
				want = fmt.Sprintf("look up %s's with "+lookUpPrefixList, c.Region, c.Region)
			}
			v.fail(key, "%q is the CloudFront origin-facing prefix list of %s, so the load balancer in %s would refuse CloudFront; %s", w.CloudFrontPrefixListID, region, c.Region, want)
			return false
		}
	}
	return true
}
