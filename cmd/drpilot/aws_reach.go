package main

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"

	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// awsUnreachable explains the two failures that happen before AWS
// answers anything — the endpoint cannot be reached, or there are no
// credentials to sign with — as what failed, where, and what to check;
// "" for any other error, which AWS answered and which says enough.
func awsUnreachable(err error, region string) string {
	var send *smithyhttp.RequestSendError
	if errors.As(err, &send) {
		where := "the AWS endpoint of " + region
		var u *url.Error
		if errors.As(err, &u) {
			if p, perr := url.Parse(u.URL); perr == nil {
				where = fmt.Sprintf("%s://%s (Region %s)", p.Scheme, p.Host, region)
			}
		}
		env := "AWS_ENDPOINT_URL is not set, so it is AWS's own endpoint"
		if e := os.Getenv("AWS_ENDPOINT_URL"); e != "" {
			env = "AWS_ENDPOINT_URL is " + e + ": is that right, and is it serving?"
		}
		return fmt.Sprintf("cannot reach %s: %v. Check the network (a proxy, firewall or VPN), "+
			"the endpoint (%s) and the Region, then try again", where, rootCause(err), env)
	}
	// The SDK's credential chain has no error type of its own: its
	// failures are wrapped as "get identity: get credentials: ...".
	if strings.Contains(err.Error(), "get identity: get credentials:") {
		return fmt.Sprintf("no AWS credentials to sign with for Region %s: give --profile, set AWS_PROFILE, "+
			"or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY ('aws sts get-caller-identity' tells whether the "+
			"AWS CLI finds any); the SDK said: %v", region, rootCause(err))
	}
	return ""
}

// rootCause is the innermost error: the dial's "connection refused",
// not the SDK's account of its retries around it.
func rootCause(err error) error {
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return err
		}
		err = next
	}
}
