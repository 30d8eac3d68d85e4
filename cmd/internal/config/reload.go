package config

import "reflect"

// The reload tag of a key says what a reload (SIGHUP) does with it:
//
//	reload:"live"     a reload applies it (for a section: all its keys)
//	reload:"restart"  it takes effect only when accessd restarts
//	reload:"keys"     a section whose keys each carry their own tag
//
// Every key carries one, directly or through its section; a test walks
// Config to prove it.
const (
	ReloadLive    = "live"
	ReloadRestart = "restart"
	ReloadKeys    = "keys"
)

// Restart names the keys whose value differs between old and cfg but
// that take effect only on restart, in the order of Config.
func Restart(old, cfg *Config) []string {
	return restartKeys(reflect.ValueOf(old).Elem(), reflect.ValueOf(cfg).Elem(), "")
}

func restartKeys(a, b reflect.Value, path string) []string {
	var keys []string
	t := a.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		name, _ := yamlName(f)
		if name == "-" || !f.IsExported() {
			continue
		}
		key := join(path, name)
		switch f.Tag.Get("reload") {
		case ReloadRestart:
			// DeepEqual: restart keys hold text, numbers, durations,
			// enums and lists or sections of them, never compiled values.
			if !reflect.DeepEqual(a.Field(i).Interface(), b.Field(i).Interface()) {
				keys = append(keys, key)
			}
		case ReloadKeys:
			keys = append(keys, restartKeys(a.Field(i), b.Field(i), key)...)
		}
	}
	return keys
}
