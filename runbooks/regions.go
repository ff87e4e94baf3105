package runbooks

import (
	"fmt"
	"strings"
)

// knownRegions are the AWS Regions as of late 2026, in every partition.
// This is drpilot's only list of Regions: every Region a runbook names (its
// primary and recovery Regions, a step's or a precondition's region, the
// Region field of an ARN) is checked against it here. A well-formed name
// that is not on it is an error, because a typo ("eu-centrl-1") would
// otherwise send a recovery to a Region that does not exist; a runbook
// that needs a Region newer than this list names it in [runbook]
// new_regions.
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

// checkRegion reports a Region name that is malformed or unknown, both
// errors. aliases says whether primary and recovery may be written
// instead, as in a step's region.
func (v *validator) checkRegion(path, region string, aliases bool) {
	if !regionRE.MatchString(region) {
		hint := "a Region name looks like \"us-east-1\" or \"ap-northeast-3\""
		if aliases {
			hint = "use primary, recovery or a Region name such as \"us-east-1\""
		}
		v.rep.errorAtValue(path, hint, "malformed Region %q", region)
		return
	}
	v.checkKnownRegion(path, region, "unknown Region %q")
}

// checkKnownRegion reports a well-formed Region name that is neither known
// nor listed in new_regions; message has one %q, the name.
func (v *validator) checkKnownRegion(path, region, message string) {
	v.usedRegions[region] = true
	if contains(knownRegions, region) || contains(v.rb.NewRegions, region) {
		return
	}
	optIn := fmt.Sprintf("if it is a Region newer than this drpilot, add new_regions = [%q] under [runbook]", region)
	hint := optIn
	if s := suggest(region, knownRegions); s != "" {
		hint = fmt.Sprintf("did you mean %q? %s", s, optIn)
	}
	v.rep.errorAtValue(path, hint, message, region)
}

// newRegions checks [runbook] new_regions, the explicit opt-in for Regions
// newer than drpilot. Each entry must look like a Region. One that drpilot
// knows, or that the runbook never names, is left over and warned about. So
// is one that looks like a misspelt known Region: listing a typo here
// would let it through everywhere. A new Region usually differs from a
// known one only in its number ("ap-southeast-8"), which is not a typo.
func (v *validator) newRegions() {
	for i, name := range v.rb.NewRegions {
		path := indexPath("runbook.new_regions", i)
		switch {
		case !regionRE.MatchString(name):
			v.rep.errorAtValue(path, "list Region names such as \"xx-newregion-1\"", "malformed Region %q in new_regions", name)
		case contains(knownRegions, name):
			v.rep.warnAtValue(path, "remove it from new_regions", "%q is a Region drpilot knows already", name)
		case looksMisspelt(name):
			v.rep.warnAtValue(path, fmt.Sprintf("if you meant %q, correct it here and where the runbook names it", suggest(name, knownRegions)),
				"new Region %q looks like a misspelt known Region", name)
		case !v.usedRegions[name]:
			v.rep.warnAtValue(path, "remove it from new_regions, or name it where it is meant", "new Region %q is not named anywhere in the runbook", name)
		}
	}
}

// looksMisspelt reports whether a Region name is close to a known one
// without sharing its name up to the number: "eu-centrl-1" is, and
// "eu-central-3" is not.
func looksMisspelt(name string) bool {
	stem := name[:strings.LastIndexByte(name, '-')+1]
	for _, k := range knownRegions {
		if strings.HasPrefix(k, stem) {
			return false
		}
	}
	return suggest(name, knownRegions) != ""
}
