// Package configtest holds helpers for tests that build configurations.
package configtest

import "github.com/brokerage/platform/config"

// RealIDs replaces the default configuration's placeholders, which are
// refused outside dev, with ids of the shapes real ones have: user pools of
// an identity account, VPC links and interface VPC endpoints.
func RealIDs(c *config.Config) {
	for _, g := range c.API.Gateways {
		for _, a := range g.Authorizers {
			for r := range a.UserPoolARNs {
				a.UserPoolARNs[r] = "arn:aws:cognito-idp:" + r + ":444444444444:userpool/" + r + "_aB3dE5fG7"
			}
		}
		for _, s := range g.Services {
			for r := range s.Backend.VPCLinkIDs {
				s.Backend.VPCLinkIDs[r] = "abc123"
			}
		}
		for r := range g.PrivateEndpoints {
			g.PrivateEndpoints[r] = config.PrivateEndpoint{VPCEndpointIDs: []string{"vpce-0123456789abcdef0"}, VPCLinkID: "def456"}
		}
	}
}
