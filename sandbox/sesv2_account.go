package sandbox

// sesGetAccount reports the account's SES standing in the Region: out of
// the SES sandbox (production access) and sending, unless a stuck fault
// on the id "account" says "sandbox" — for a game day in which email only
// reaches verified addresses, which runbooks check before they rely on
// email.
func sesGetAccount(c *call) (any, error) {
	production := c.sb.faults.stuckState("ses", c.region, "account") != "sandbox"
	return map[string]any{
		"ProductionAccessEnabled": production, "SendingEnabled": true, "EnforcementStatus": "HEALTHY",
		"DedicatedIpAutoWarmupEnabled": false,
		"SendQuota":                    map[string]any{"Max24HourSend": 50000.0, "MaxSendRate": 14.0, "SentLast24Hours": float64(len(sesState(c).sent))},
	}, nil
}
