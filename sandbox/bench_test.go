package sandbox

import (
	"context"
	"runtime"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
)

// BenchmarkDescribeThroughSDK drives DescribeDBInstances through the Go
// SDK over loopback HTTP. Goal: at least 2,000 requests per second, so
// that the sandbox never limits an executor benchmark, with memory flat:
// the heap after the run is reported as heap-MB.
func BenchmarkDescribeThroughSDK(b *testing.B) {
	sb := New(Options{})
	srv := startBenchServer(b, sb)
	cfg := benchConfig(b, srv)
	client := rds.NewFromConfig(cfg)
	for i := 0; i < 20; i++ {
		client.CreateDBInstance(context.Background(), &rds.CreateDBInstanceInput{DBInstanceIdentifier: aws.String("db-" + string(rune('a'+i))),
			DBInstanceClass: aws.String("db.t4g.micro"), Engine: aws.String("postgres")})
	}
	input := &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String("db-a")}
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := client.DescribeDBInstances(context.Background(), input); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
	var m runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m)
	b.ReportMetric(float64(m.HeapAlloc)/(1<<20), "heap-MB")
}
