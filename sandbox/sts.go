package sandbox

// registerSTS serves STS GetCallerIdentity, which drpilot's run.start
// records as the caller ARN.
func registerSTS(s *Sandbox) {
	s.addService(&service{name: "sts", protocol: queryProtocol{}, xmlns: "https://sts.amazonaws.com/doc/2011-06-15/",
		version: "2011-06-15", throttleCode: "Throttling"},
		&operation{name: "GetCallerIdentity", handler: func(c *call) (any, error) {
			return map[string]any{
				"Account": c.account(),
				"Arn":     c.callerARN(),
				"UserId":  "AIDASANDBOXDRPILOT0001",
			}, nil
		}},
	)
}
