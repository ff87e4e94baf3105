package sandbox

import (
	"bytes"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
)

const (
	sealedSecureValue = "Secure-Value-31337"
	sealedVarValue    = "hunter2-Var-Value"
)

// sealedRun records, with a key, a SecureString, a String built around a
// secret the caller keeps (as a sensitive var's value is), and a plain
// String, and returns the recording's directory and the key.
func sealedRun(t *testing.T) (string, []byte) {
	t.Helper()
	sb := replaySandbox(t)
	key := bytes.Repeat([]byte{7}, 32)
	dir := filepath.Join(t.TempDir(), "sandbox")
	rec, err := sb.StartRecording(dir, RecordOptions{Key: key, HoldsSecret: func(data []byte) bool {
		return bytes.Contains(data, []byte(sealedVarValue))
	}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sb)
	defer srv.Close()
	client := ssm.NewFromConfig(awsConfig(t, srv.URL, "eu-west-2"))
	for name, p := range map[string]struct {
		value string
		typ   ssmtypes.ParameterType
	}{
		"/app/secret": {sealedSecureValue, ssmtypes.ParameterTypeSecureString},
		"/app/dsn":    {"pg://app:" + sealedVarValue + "@db", ssmtypes.ParameterTypeString},
		"/app/plain":  {"plain-value", ssmtypes.ParameterTypeString},
	} {
		if _, err := client.PutParameter(ctx(t), &ssm.PutParameterInput{Name: aws.String(name), Value: aws.String(p.value), Type: p.typ}); err != nil {
			t.Fatal(err)
		}
	}
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	return dir, key
}

// TestRecordingSealsSecrets: the records that carry a secret are sealed in
// the file, the others are not; a rebuild needs the key, refuses another,
// and with it reads the SecureString back as it was written.
func TestRecordingSealsSecrets(t *testing.T) {
	t.Parallel()
	dir, key := sealedRun(t)
	data, err := os.ReadFile(filepath.Join(dir, RecordingFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{sealedSecureValue, sealedVarValue} {
		if bytes.Contains(data, []byte(secret)) {
			t.Errorf("the recording holds %q in plain text:\n%s", secret, data)
		}
	}
	if !bytes.Contains(data, []byte("plain-value")) || bytes.Count(data, []byte(`"sealed":`)) != 2 {
		t.Errorf("want the two records with a secret sealed and the plain one readable:\n%s", data)
	}
	rec, err := ReadRecording(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := rec.Rebuild(); err == nil || !strings.Contains(err.Error(), "sealed") {
		t.Errorf("a rebuild of sealed records without their key: %v", err)
	}
	if err := rec.Unseal(bytes.Repeat([]byte{8}, 32)); err == nil || !strings.Contains(err.Error(), "the key given is") {
		t.Errorf("another key: %v", err)
	}
	if err := rec.Unseal(key); err != nil {
		t.Fatal(err)
	}
	sb, _, err := rec.Rebuild()
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sb)
	defer srv.Close()
	out, err := ssm.NewFromConfig(awsConfig(t, srv.URL, "eu-west-2")).GetParameter(ctx(t),
		&ssm.GetParameterInput{Name: aws.String("/app/secret"), WithDecryption: aws.Bool(true)})
	if err != nil || aws.ToString(out.Parameter.Value) != sealedSecureValue {
		t.Fatalf("the rebuilt SecureString: %v %v", out, err)
	}
}

// TestSealedRecordStaysWithItsRecord: a sealed part moved to another
// record does not open, so an edited recording cannot swap two secrets.
func TestSealedRecordStaysWithItsRecord(t *testing.T) {
	t.Parallel()
	dir, key := sealedRun(t)
	rec, err := ReadRecording(dir)
	if err != nil {
		t.Fatal(err)
	}
	var sealed []*Record
	for i := range rec.Records {
		if rec.Records[i].Sealed != nil {
			sealed = append(sealed, &rec.Records[i])
		}
	}
	if len(sealed) != 2 {
		t.Fatalf("%d sealed records, want 2", len(sealed))
	}
	sealed[0].Sealed, sealed[1].Sealed = sealed[1].Sealed, sealed[0].Sealed
	if err := rec.Unseal(key); err == nil || !strings.Contains(err.Error(), "does not open") {
		t.Fatalf("swapped sealed parts: %v", err)
	}
}
