package team

import (
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/drpilot/drpilot/steps/awsclient"
)

// Open returns a Store on the factory's clients for the team's Region:
// the same credentials, endpoint and retries as the run's own calls.
func Open(f *awsclient.Factory, cfg Config) (*Store, error) {
	ddb, err := f.Client("dynamodb", cfg.Region)
	if err != nil {
		return nil, err
	}
	s3c, err := f.Client("s3", cfg.Region)
	if err != nil {
		return nil, err
	}
	d, ok1 := ddb.(*dynamodb.Client)
	b, ok2 := s3c.(*s3.Client)
	if !ok1 || !ok2 {
		return nil, fmt.Errorf("team: unexpected client types %T, %T", ddb, s3c)
	}
	return New(cfg, d, b), nil
}
