package config

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestAtlasServicesActivationProblems(t *testing.T) {
	const y = `atlas:
  api_user: atlas
  api_key: k
  return_urls: ["https://ok.example/sg", "//evil.example/", "https://u:p@x.example/"]
  bounce_path: /a
  api_path: /a
services:
  - {uid: BB, type: broadband, max_per_access: -1, commitment_months: 200}
media_codes:
  - {name: FTTH, code: 0}
activation:
  concurrency: 100
  rules:
    - {code: 404, when: not_sellable, message: m}
    - {code: 500, when: sometimes, message: m}
    - {code: 501, when: population_in}
    - {code: 502, when: link_down, message: m, services: [BB, NOPE]}
`
	_, err := Parse("t.yaml", []byte(y))
	ps, ok := err.(Problems)
	if !ok {
		t.Fatalf("Parse = %v, want Problems", err)
	}
	var got []string
	for _, p := range ps {
		got = append(got, p.String())
	}
	want := []string{
		`t.yaml:1: atlas.allowed_ips: missing: the activation API answers only these addresses (Tjänsteguiden's, e.g. 94.247.170.170)`,
		`t.yaml:4: atlas.return_urls[1]: "//evil.example/" is not an absolute http(s) URL without user info`,
		`t.yaml:4: atlas.return_urls[2]: "https://u:p@x.example/" is not an absolute http(s) URL without user info`,
		`t.yaml:6: atlas.api_path: "/a" is also the bounce_path`,
		`t.yaml:8: services[0].max_per_access: must be 1 or more`,
		`t.yaml:8: services[0].commitment_months: must be 0 to 120`,
		`t.yaml:10: media_codes[0].code: must be 1 or more (0 means an unknown medium)`,
		`t.yaml:12: activation.concurrency: must be 1 to 64`,
		`t.yaml:14: activation.rules[0].code: 404: own codes are 500 to 999 (Atlas reserves 200 and 400–404)`,
		`t.yaml:15: activation.rules[1].when: "sometimes": must be one of not_sellable, not_deliverable, link_down, population_in, population_not_in, premises_type_in, premises_type_not_in`,
		`t.yaml:16: activation.rules[2].values: missing: population_in needs the values to compare with`,
		`t.yaml:16: activation.rules[2].message: missing: Atlas shows it to the customer`,
		`t.yaml:17: activation.rules[3].services[1]: "NOPE" is not in services`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
}
