package domain

import (
	"strings"
	"testing"

	"github.com/brokerage/platform/internal/cfn/cfntest"
	"github.com/brokerage/platform/problems"
)

func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		name, zoneID, zoneName string
		want                   []string
	}{
		{"", "", "", nil}, // no custom domain
		{"api.example.com", "Z1", "example.com", nil},
		{"example.com", "Z1", "example.com.", nil}, // the zone's apex, the zone named with its final dot
		{"API.example.com", "Z1", "example.com", []string{"d.domainName"}},
		{"api.example.com", "", "example.com", []string{"d.hostedZoneId"}},
		{"api.example.com", "Z1", "", []string{"d.hostedZoneId"}},
		{"api.example.com", "Z1", "example.org", []string{"d.hostedZoneName"}},
		{"api.badexample.com", "Z1", "example.com", []string{"d.hostedZoneName"}},
		{"", "Z1", "", []string{"d.domainName"}},
		{"", "", "example.com", []string{"d.domainName"}},
	} {
		l := problems.List{Subject: "test"}
		Check(&l, "d.", tc.name, tc.zoneID, tc.zoneName, "api.example.com")
		var got []string
		if err, ok := l.Err().(*problems.Error); ok {
			got = err.Fields()
		}
		cfntest.Check(t, tc.name+" in "+tc.zoneID+"/"+tc.zoneName, tc.want, got)
	}
	// The expectation names the caller's example of a good name.
	l := problems.List{Subject: "test"}
	Check(&l, "", "Bad", "", "", "www.example.com")
	if err := l.Err(); err == nil || !strings.Contains(err.Error(), "a lower-case DNS name such as www.example.com") {
		t.Errorf("err = %v, want the caller's example", err)
	}
}
