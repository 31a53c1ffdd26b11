package stacks

import (
	"fmt"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigateway"
	"github.com/brokerage/platform/config"
	"github.com/brokerage/platform/constructs/alarms"
	"github.com/brokerage/platform/constructs/api"
)

// gatewayName is a gateway's REST API name, <app>-<stage>-<name>: what
// CloudWatch's ApiName dimension, the web ACL's metric and the overview
// dashboard know it by.
func gatewayName(c *config.Config, name string) string { return c.Prefix() + "-" + name }

// GatewayProps turns the configuration's gateways into construct props for
// region; built lists the gateways already built in that region (nil when
// only validating).
func GatewayProps(c *config.Config, region string, g config.Gateway, built map[string]*api.Gateway) *api.Props {
	fill := func(s string) string {
		return strings.NewReplacer("{region}", region, "{account}", c.Account).Replace(s)
	}
	p := &api.Props{
		Name: gatewayName(c, g.Name), RateLimit: g.RateLimit, BurstLimit: g.BurstLimit, LoggingLevel: g.LoggingLevel,
		DefaultAuthorizer: g.DefaultAuthorizer, CORSOrigins: g.CORSOrigins, WAF: g.WAF,
		DomainName: g.DomainName, HostedZoneID: g.HostedZoneID, HostedZoneName: g.HostedZoneName, LatencyRecords: g.LatencyRecords,
		Gateways: built, RemovalPolicy: removalPolicy(c),
	}
	if len(g.PrivateEndpoints) > 0 {
		p.PrivateEndpoints = map[string]api.PrivateEndpoint{}
		for r, e := range g.PrivateEndpoints {
			p.PrivateEndpoints[r] = api.PrivateEndpoint{VPCEndpointIDs: e.VPCEndpointIDs, VPCLinkID: e.VPCLinkID}
		}
	}
	for _, a := range g.Authorizers {
		var pools map[string]string
		if a.UserPoolARNs != nil {
			pools = map[string]string{}
			for r, arn := range a.UserPoolARNs {
				pools[r] = fill(arn)
			}
		}
		p.Authorizers = append(p.Authorizers, api.Authorizer{Name: a.Name, Type: a.Type, UserPoolARNs: pools, FunctionARN: fill(a.FunctionARN)})
	}
	for _, u := range g.UsagePlans {
		p.UsagePlans = append(p.UsagePlans, api.UsagePlan{Name: u.Name, RateLimit: u.RateLimit, BurstLimit: u.BurstLimit, QuotaPerDay: u.QuotaPerDay, APIKeySecret: fill(u.APIKeySecret)})
	}
	for _, s := range g.Services {
		b := s.Backend
		p.Services = append(p.Services, api.Service{
			Name: s.Name, BasePath: s.BasePath, Authorizer: s.Authorizer, RateLimit: s.RateLimit, BurstLimit: s.BurstLimit,
			APIKeyRequired: s.APIKeyRequired, RequestSchema: s.RequestSchema,
			Backend: api.Backend{Type: b.Type, URL: fill(b.URL), FunctionARN: fill(b.FunctionARN), VPCLinkID: b.VPCLinkIDs[region], Gateway: b.Gateway},
		})
	}
	return p
}

// ValidateAPI checks every gateway of the configuration as the stacks will
// build it, naming fields as the configuration does.
func ValidateAPI(c *config.Config) []error {
	var errs []error
	names := map[string]*api.Gateway{}
	for i, g := range c.API.Gateways {
		errs = append(errs, GatewayProps(c, c.PrimaryRegion, g, names).Validate(fmt.Sprintf("api.gateways[%d].", i)))
		names[g.Name] = &api.Gateway{Private: len(g.PrivateEndpoints) > 0}
	}
	return errs
}

// addGateways builds the gateways of s, in region, and their alarms, and the
// region's API Gateway account setting when this stage owns it
// (api.accountSettingsOwners).
func addGateways(s awscdk.Stack, region string, al *alarms.Alarms, c *config.Config) map[string]*api.Gateway {
	if len(c.API.Gateways) == 0 {
		return nil
	}
	var account awsapigateway.CfnAccount
	if c.OwnsAPIAccountSettings() {
		account = api.NewAccount(s, "ApiGatewayAccount")
	}
	built := map[string]*api.Gateway{}
	for _, g := range c.API.Gateways {
		props := GatewayProps(c, region, g, built)
		props.Account = account
		gw := api.New(s, "Api-"+g.Name, props)
		built[g.Name] = gw
		watchGateway(al, g.Name, gw)
	}
	return built
}

// watchGateway creates the alarms of the stage of gw, the gateway
// configured as name.
func watchGateway(al *alarms.Alarms, name string, gw *api.Gateway) {
	al.Watch(gw.Stage, alarms.Target{Kind: alarms.KindAPIStage, Label: "api-" + name, Metrics: gw.Metrics()})
}
