package runbooks

import (
	"fmt"
	"net"
	"net/url"
	"strings"
)

// WebhookURLAllowed is the one rule for where a webhook may be sent: over
// HTTPS anywhere, or over plain HTTP to a loopback address only (a local
// relay, or the sandbox), since a message sent in the clear could be read
// or changed on the way. `drpilot check` and the executor both call it, so
// a runbook that passes check is never refused at run time, nor the
// reverse.
func WebhookURLAllowed(raw string) error {
	u, err := url.Parse(raw)
	switch {
	case err != nil || u.Host == "":
		return fmt.Errorf("webhook %q is not a URL such as https://hooks.example.com/dr", raw)
	case u.Scheme == "https":
		return nil
	case u.Scheme == "http" && isLoopbackHost(u.Hostname()):
		return nil
	case u.Scheme == "http":
		return fmt.Errorf("refusing to send the message to %s over plain HTTP: webhooks use https://, plain http:// only to a loopback address", u.Host)
	}
	return fmt.Errorf("webhook %q: the scheme must be https", raw)
}

// isLoopbackHost reports whether host is localhost or a loopback address.
func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
