package sandbox

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	sestypes "github.com/aws/aws-sdk-go-v2/service/sesv2/types"
)

// TestSESEmailIdentities: identities made are listed and described as
// verified; a second one of a name is AlreadyExistsException, an unknown
// one NotFoundException.
func TestSESEmailIdentities(t *testing.T) {
	t.Parallel()
	_, url := startSandbox(t, Options{})
	client := sesv2.NewFromConfig(awsConfig(t, url, "us-west-2"))
	for _, name := range []string{"example.com", "ops@example.com"} {
		if _, err := client.CreateEmailIdentity(ctx(t), &sesv2.CreateEmailIdentityInput{EmailIdentity: aws.String(name)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := client.CreateEmailIdentity(ctx(t), &sesv2.CreateEmailIdentityInput{EmailIdentity: aws.String("example.com")}); apiCode(err) != "AlreadyExistsException" {
		t.Fatalf("a second identity of a name: %v", err)
	}
	out, err := client.ListEmailIdentities(ctx(t), &sesv2.ListEmailIdentitiesInput{})
	if err != nil || len(out.EmailIdentities) != 2 || out.EmailIdentities[0].IdentityType != sestypes.IdentityTypeDomain ||
		out.EmailIdentities[1].VerificationStatus != sestypes.VerificationStatusSuccess {
		t.Fatalf("identities: %+v %v", out, err)
	}
	got, err := client.GetEmailIdentity(ctx(t), &sesv2.GetEmailIdentityInput{EmailIdentity: aws.String("ops@example.com")})
	if err != nil || got.IdentityType != sestypes.IdentityTypeEmailAddress || !got.VerifiedForSendingStatus {
		t.Fatalf("identity: %+v %v", got, err)
	}
	if _, err := client.GetEmailIdentity(ctx(t), &sesv2.GetEmailIdentityInput{EmailIdentity: aws.String("nobody@example.org")}); apiCode(err) != "NotFoundException" {
		t.Fatalf("an unknown identity: %v", err)
	}
}
