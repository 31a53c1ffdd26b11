// Package configtest holds helpers for tests that build configurations.
package configtest

import "github.com/brokerage/platform/config"

// RealIDs replaces the default configuration's placeholders, which are
// refused outside dev, with ids of the shapes real ones have: user pools of
// an identity account, VPC links and interface VPC endpoints; and gives
// the site the custom domain prod requires.
func RealIDs(c *config.Config) {
	c.Site.DomainName, c.Site.HostedZoneID, c.Site.HostedZoneName = "www.brokerage.example.com", "Z0123456789ABCDEFGHIJ", "brokerage.example.com"
	for _, r := range c.Regions {
		for name := range r.UserPools {
			r.UserPools[name] = "arn:aws:cognito-idp:" + r.Name + ":444444444444:userpool/" + r.Name + "_aB3dE5fG7"
		}
		for name := range r.VPCLinks {
			r.VPCLinks[name] = "abc123"
		}
		for name := range r.PrivateEndpoints {
			r.PrivateEndpoints[name] = config.PrivateEndpoint{VPCEndpointIDs: []string{"vpce-0123456789abcdef0"}, VPCLinkID: "def456"}
		}
	}
}
