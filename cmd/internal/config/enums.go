package config

import (
	"strings"

	"go.yaml.in/yaml/v3"
)

// Environment is which instance this is: the import API refuses requests
// for the other one.
type Environment string

// The environments.
const (
	Test Environment = "test"
	Prod Environment = "prod"
)

// UnmarshalYAML implements yaml.Unmarshaler.
func (e *Environment) UnmarshalYAML(n *yaml.Node) error {
	return enum(n, e, []Environment{Test, Prod}, "must be test or prod")
}

// LogFormat is how the daemon writes its log.
type LogFormat string

// The log formats; LogAuto is journal fields under systemd, text otherwise.
const (
	LogAuto    LogFormat = "auto"
	LogText    LogFormat = "text"
	LogJSON    LogFormat = "json"
	LogJournal LogFormat = "journal"
)

// UnmarshalYAML implements yaml.Unmarshaler.
func (f *LogFormat) UnmarshalYAML(n *yaml.Node) error {
	return enum(n, f, []LogFormat{LogAuto, LogText, LogJSON, LogJournal}, "must be auto, text, json or journal")
}

// API names a route group a user may call.
type API string

// API names of the route groups a user may call.
const (
	APIPIV1  API = "pi-v1"
	APIPIAPI API = "pi-api"
	APIONAPI API = "on-api"
	// APIMetrics may read /metrics when http.metrics_public is false.
	APIMetrics API = "metrics"
	// APINOC is the NOC's status pages under /noc/ (off unless a user
	// has it).
	APINOC API = "noc"
)

// UnmarshalYAML implements yaml.Unmarshaler.
func (a *API) UnmarshalYAML(n *yaml.Node) error {
	return enum(n, a, []API{APIPIV1, APIPIAPI, APIONAPI, APIMetrics, APINOC}, "must be pi-v1, pi-api, on-api, metrics or noc")
}

// PIVersion is the PI-API version of a provider's orders.
type PIVersion string

// The PI-API versions.
const (
	PI22 PIVersion = "2.2"
	PI23 PIVersion = "2.3"
)

// UnmarshalYAML implements yaml.Unmarshaler.
func (p *PIVersion) UnmarshalYAML(n *yaml.Node) error {
	return enum(n, p, []PIVersion{PI22, PI23}, "must be 2.2 or 2.3")
}

// CustomerData is what is kept of the customer data PI-API 2.2
// activations carry.
type CustomerData string

// The customer data policies.
const (
	CustomerStore     CustomerData = "store"
	CustomerAnonymous CustomerData = "anonymous"
	CustomerNone      CustomerData = "none"
)

// UnmarshalYAML implements yaml.Unmarshaler.
func (c *CustomerData) UnmarshalYAML(n *yaml.Node) error {
	return enum(n, c, []CustomerData{CustomerStore, CustomerAnonymous, CustomerNone}, "must be store, anonymous or none")
}

// RuleCondition is when a KO's own rule refuses a service.
type RuleCondition string

// RuleConditions are the values of rules[].when.
func RuleConditions() []RuleCondition {
	return []RuleCondition{"not_sellable", "not_deliverable", "link_down", "population_in", "population_not_in",
		"premises_type_in", "premises_type_not_in"}
}

// UnmarshalYAML implements yaml.Unmarshaler.
func (c *RuleCondition) UnmarshalYAML(n *yaml.Node) error {
	var names []string
	for _, r := range RuleConditions() {
		names = append(names, string(r))
	}
	return enum(n, c, RuleConditions(), "must be one of "+strings.Join(names, ", "))
}

// NeedsValues reports whether the condition compares with rules[].values.
func (c RuleCondition) NeedsValues() bool { return strings.HasSuffix(string(c), "_in") }
