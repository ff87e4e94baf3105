package runbooks

import "fmt"

// knownRegions are the AWS Regions as of late 2026, in every partition. A
// well-formed name that is not here is probably a typo ("us-wst-2"), but
// AWS opens new Regions, so it is a warning, not an error.
var knownRegions = []string{
	"af-south-1", "ap-east-1", "ap-east-2", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3",
	"ap-south-1", "ap-south-2", "ap-southeast-1", "ap-southeast-2", "ap-southeast-3",
	"ap-southeast-4", "ap-southeast-5", "ap-southeast-6", "ap-southeast-7", "ca-central-1",
	"ca-west-1", "eu-central-1", "eu-central-2", "eu-north-1", "eu-south-1", "eu-south-2",
	"eu-west-1", "eu-west-2", "eu-west-3", "il-central-1", "me-central-1", "me-south-1",
	"mx-central-1", "sa-east-1", "us-east-1", "us-east-2", "us-west-1", "us-west-2",
	"us-gov-east-1", "us-gov-west-1", "cn-north-1", "cn-northwest-1", "eusc-de-east-1",
	"us-iso-east-1", "us-iso-west-1", "us-isob-east-1", "us-isof-east-1", "us-isof-south-1",
	"eu-isoe-west-1",
}

// checkRegion reports a Region name that is malformed (an error) or
// unknown (a warning). aliases says whether primary and recovery may be
// written instead, as in a step's region.
func (v *validator) checkRegion(path, region string, aliases bool) {
	hint := "a Region name looks like \"us-east-1\" or \"ap-northeast-3\""
	if aliases {
		hint = "use primary, recovery or a Region name such as \"us-east-1\""
	}
	switch {
	case !regionRE.MatchString(region):
		v.rep.errorAtValue(path, hint, "malformed Region %q", region)
	case !contains(knownRegions, region):
		hint := "if it is a new Region, ignore this warning"
		if s := suggest(region, knownRegions); s != "" {
			hint = fmt.Sprintf("did you mean %q? %s", s, hint)
		}
		v.rep.warnAtValue(path, hint, "%q is not a Region drpilot knows", region)
	}
}
