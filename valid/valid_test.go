package valid

import "testing"

func TestPredicates(t *testing.T) {
	for _, tc := range []struct {
		name string
		f    func(string) bool
		ok   []string
		bad  []string
	}{
		{"AccountID", AccountID, []string{"111111111111"}, []string{"", "12345", "12345678901a", "1111111111111"}},
		{"Partition", Partition, []string{"aws", "aws-cn", "aws-us-gov", "aws-iso-b"}, []string{"", "AWS", "awscn", "aws-", "aws:", "azure"}},
		{"Email", Email, []string{"ops@example.com"}, []string{"ops", "Ops <ops@example.com>", "ops@localhost", ""}},
		{"HTTPSURL", HTTPSURL, []string{"https://pager.example.com/hook"}, []string{"http://pager.example.com/hook", "https:///hook", "pager.example.com", ""}},
		{"DomainName", DomainName, []string{"api.example.com"}, []string{"API.example.com", "example", "a..b.com", "-a.example.com", ""}},
		{"InZone example.com", func(s string) bool { return InZone(s, "example.com.") }, []string{"example.com", "api.example.com", "a.b.example.com"}, []string{"badexample.com", "example.org", "com"}},
	} {
		for _, s := range tc.ok {
			if !tc.f(s) {
				t.Errorf("%s(%q) = false, want true", tc.name, s)
			}
		}
		for _, s := range tc.bad {
			if tc.f(s) {
				t.Errorf("%s(%q) = true, want false", tc.name, s)
			}
		}
	}
}
