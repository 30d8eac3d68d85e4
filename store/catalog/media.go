package catalog

import (
	"maps"
	"slices"
	"strings"

	"github.com/stadsnat/accessd/store/inventory"
)

// MediaCodes maps a medium name (FTTH, FTTB, …; case does not matter) to
// the number Atlas Tjänsteguiden carries in current_media and
// required_media. Atlas has not published its table, so accessd defines
// one (DefaultMediaCodes, documented in the README) and the configuration
// may override or extend it (media_codes:).
type MediaCodes struct {
	byName map[string]int
}

// UnknownMedium is the code of a medium that has no code.
const UnknownMedium = 0

// DefaultMediaCodes is accessd's table of media codes.
func DefaultMediaCodes() map[string]int {
	return map[string]int{
		"FTTH":     1, // fibre to the home
		"FTTB":     2, // fibre to the building, Ethernet in the building
		"ETHERNET": 3, // copper Ethernet (LAN) all the way
		"DSL":      4, // ADSL/VDSL over a telephone pair
		"COAX":     5, // HFC / DOCSIS cable
		"RFOF":     6, // RF over fibre (broadcast TV)
		"RADIO":    7, // fixed wireless
	}
}

// NewMediaCodes makes the table: the defaults with override's entries
// replacing or adding to them (two names may share a code: aliases).
func NewMediaCodes(override map[string]int) MediaCodes {
	m := DefaultMediaCodes()
	for name, code := range override {
		m[strings.ToUpper(name)] = code
	}
	return MediaCodes{byName: m}
}

// Code returns the number of a medium, UnknownMedium when it has none.
func (mc MediaCodes) Code(medium string) int {
	if mc.byName == nil {
		mc = NewMediaCodes(nil)
	}
	if c, ok := mc.byName[strings.ToUpper(strings.TrimSpace(medium))]; ok {
		return c
	}
	return UnknownMedium
}

// Map is the table as name ⇒ code (a copy).
func (mc MediaCodes) Map() map[string]int {
	if mc.byName == nil {
		mc = NewMediaCodes(nil)
	}
	return maps.Clone(mc.byName)
}

// Names lists the media with a code, sorted by code.
func (mc MediaCodes) Names() []string {
	if mc.byName == nil {
		mc = NewMediaCodes(nil)
	}
	names := slices.Collect(maps.Keys(mc.byName))
	slices.SortFunc(names, func(a, b string) int { return mc.byName[a] - mc.byName[b] })
	return names
}

// Hardware requirements of a service.
const (
	HardwareNone = ""
	HardwareCPE  = "CPE" // any KO-provided customer equipment: a CPE switch or router
	HardwareDRG  = "DRG" // a residential gateway: a CPE router
)

// NormalHardware returns the canonical form of a hardware requirement:
// CPE, DRG or "" (none).
func NormalHardware(h string) string {
	switch strings.ToUpper(strings.TrimSpace(h)) {
	case "CPE":
		return HardwareCPE
	case "DRG":
		return HardwareDRG
	}
	return HardwareNone
}

// HardwareFits reports whether the access has the customer equipment the
// service needs: CPE is satisfied by a coCpeSwitch or a coCpeRouter, DRG
// only by a coCpeRouter.
func (s Service) HardwareFits(a *inventory.Access) bool {
	switch NormalHardware(s.Hardware) {
	case HardwareCPE:
		return a.CPESwitch != "" || a.CPERouter != ""
	case HardwareDRG:
		return a.CPERouter != ""
	}
	return true
}
