package stacks

import (
	"fmt"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigateway"
	"github.com/brokerage/platform/config"
	"github.com/brokerage/platform/constructs/alarms"
	"github.com/brokerage/platform/constructs/api"
	"github.com/brokerage/platform/problems"
)

// gatewayName is a gateway's REST API name, <app>-<stage>-<name>: what
// CloudWatch's ApiName dimension, the web ACL's metric and the overview
// dashboard know it by.
func gatewayName(c *config.Config, name string) string { return c.Prefix() + "-" + name }

// GatewayProps turns the configuration's gateways into construct props for
// region; built lists the gateways already built in that region (nil when
// only validating). What varies by region (user pools, VPC links, private
// endpoints) comes from the regions' blocks, by the names the gateway uses.
func GatewayProps(c *config.Config, region string, g config.Gateway, built map[string]*api.Gateway) *api.Props {
	fill := func(s string) string { return c.Fill(s, region) }
	p := &api.Props{
		Name: gatewayName(c, g.Name), Label: g.Name, RateLimit: g.RateLimit, BurstLimit: g.BurstLimit, LoggingLevel: g.LoggingLevel,
		DefaultAuthorizer: g.DefaultAuthorizer, CORSOrigins: g.CORSOrigins, WAF: g.WAF,
		DomainName: g.DomainName, HostedZoneID: g.HostedZoneID, HostedZoneName: g.HostedZoneName, LatencyRecords: g.LatencyRecords,
		Gateways: built, RemovalPolicy: removalPolicy(c), PrivateEndpoints: map[string]api.PrivateEndpoint{},
	}
	var here config.Region
	for _, r := range c.Regions {
		if r.Name == region {
			here = r
		}
		if e, ok := r.PrivateEndpoints[g.Name]; ok && g.Private {
			p.PrivateEndpoints[r.Name] = api.PrivateEndpoint(e)
		}
	}
	for _, a := range g.Authorizers {
		var pools map[string]string
		if a.Type == "cognito" {
			pools = map[string]string{}
			for _, r := range c.Regions {
				if arn, ok := r.UserPools[a.UserPool]; ok {
					pools[r.Name] = c.Fill(arn, r.Name)
				}
			}
		}
		p.Authorizers = append(p.Authorizers, api.Authorizer{Name: a.Name, Type: a.Type, UserPoolARNs: pools, FunctionARN: fill(a.FunctionARN)})
	}
	for _, u := range g.UsagePlans {
		u.APIKeySecret = fill(u.APIKeySecret)
		p.UsagePlans = append(p.UsagePlans, api.UsagePlan(u))
	}
	for _, s := range g.Services {
		b := s.Backend
		p.Services = append(p.Services, api.Service{
			Name: s.Name, BasePath: s.BasePath, Authorizer: s.Authorizer, RateLimit: s.RateLimit, BurstLimit: s.BurstLimit,
			APIKeyRequired: s.APIKeyRequired, RequestSchema: s.RequestSchema,
			Backend: api.Backend{Type: b.Type, URL: fill(b.URL), FunctionARN: fill(b.FunctionARN), VPCLinkID: here.VPCLinks[b.VPCLink], Gateway: b.Gateway},
		})
	}
	return p
}

// ValidateAPI checks every gateway of the configuration as the stacks will
// build it in each region, naming fields as the configuration does: a
// problem with a value a region lends the gateways (a user pool, a VPC
// link, a private gateway's endpoints) names that region's entry, once,
// however many gateways use it.
func ValidateAPI(c *config.Config) error {
	l := problems.List{Subject: "configuration"}
	seen := map[string]bool{}
	for k, r := range c.Regions {
		names := map[string]*api.Gateway{}
		for i, g := range c.API.Gateways {
			err := GatewayProps(c, r.Name, g, names).Validate(fmt.Sprintf("api.gateways[%d].", i))
			names[g.Name] = &api.Gateway{Private: g.Private}
			perr, ok := err.(*problems.Error)
			if !ok {
				continue
			}
			for _, pr := range perr.Problems {
				// A problem is reported once: values filled per region
				// ({region}) would otherwise repeat it. One with a value the
				// region does not list is config.Validate's, which names the
				// region's missing entry.
				field, listed := regionField(c, k, i, pr.Field)
				if key := field + "\x00" + pr.Want; listed && !seen[key] {
					l.Add(field, pr.Value, pr.Want)
					seen[key] = true
				}
			}
		}
	}
	return l.Err()
}

// regionField is the configuration field of a problem the api construct
// reports at field, for gateway i built in region k: the region's entry
// for a value it lends the gateway, or field itself.
// listed is false for a problem with a value the region does not list
// (config.Validate names it), or with the authorizer's whole pool map
// (the configuration names the pool per region).
func regionField(c *config.Config, k, i int, field string) (string, bool) {
	g, prefix := c.API.Gateways[i], fmt.Sprintf("api.gateways[%d].", i)
	for j := range g.Authorizers {
		if field == fmt.Sprintf("%sauthorizers[%d].userPoolArns", prefix, j) {
			return field, false
		}
	}
	for ri, r := range c.Regions {
		if rest, ok := strings.CutPrefix(field, fmt.Sprintf("%sprivateEndpoints[%q]", prefix, r.Name)); ok {
			_, listed := r.PrivateEndpoints[g.Name]
			return fmt.Sprintf("regions[%d].privateEndpoints[%q]%s", ri, g.Name, rest), listed
		}
		for j, a := range g.Authorizers {
			if field == fmt.Sprintf("%sauthorizers[%d].userPoolArns[%q]", prefix, j, r.Name) {
				_, listed := r.UserPools[a.UserPool]
				return fmt.Sprintf("regions[%d].userPools[%q]", ri, a.UserPool), listed
			}
		}
	}
	for j, s := range g.Services {
		if field == fmt.Sprintf("%sservices[%d].backend.vpcLinkId", prefix, j) {
			_, listed := c.Regions[k].VPCLinks[s.Backend.VPCLink]
			return fmt.Sprintf("regions[%d].vpcLinks[%q]", k, s.Backend.VPCLink), listed
		}
	}
	return field, true
}

// addGateways builds the gateways of s, in region, and their alarms, and the
// region's API Gateway account setting when this stage owns it
// (api.accountSettingsOwners).
func addGateways(s awscdk.Stack, region string, al *alarms.Alarms, c *config.Config) {
	if len(c.API.Gateways) == 0 {
		return
	}
	var account awsapigateway.CfnAccount
	if c.OwnsAPIAccountSettings() {
		account = api.NewAccount(s, "ApiGatewayAccount", &api.AccountProps{ScopedPolicy: c.API.ScopedLoggingPolicy})
	}
	built := map[string]*api.Gateway{}
	for i, g := range c.API.Gateways {
		props := GatewayProps(c, region, g, built)
		props.Account, props.Alarms = account, al
		gw := api.New(s, "Api-"+g.Name, props)
		blame(gw, fmt.Sprintf("api.gateways[%d].name", i), g.Name)
		built[g.Name] = gw
	}
}
