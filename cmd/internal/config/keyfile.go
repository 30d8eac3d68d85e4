package config

import (
	"fmt"

	"go.yaml.in/yaml/v3"
)

// parseKeyFile reads an api_keys_file: a YAML mapping of environment to key,
// e.g. "test: k1\nprod: k2".
func parseKeyFile(s string) (map[string]string, error) {
	var m map[string]string
	if err := yaml.Unmarshal([]byte(s), &m); err != nil {
		return nil, fmt.Errorf("want a mapping such as \"prod: KEY\": %v", err)
	}
	return m, nil
}
