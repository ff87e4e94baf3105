package steps

// docdbActions are the Amazon DocumentDB actions (IAM prefix rds, under
// the registry's name docdb). The global cluster failover is RDS's API,
// so its spec and code are Aurora's (globaldb.go, globaldb_run.go), called
// through the docdb client.
func docdbActions() []Action {
	return []Action{globalClusterFailover(docdbGlobal).runs(docdbGlobal.failover)}
}
