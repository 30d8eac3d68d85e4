package demo

import (
	"bytes"
	"context"
	"crypto/rand"
	_ "embed"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"time"

	"github.com/stadsnat/accessd/cmd/accessd/internal/subsys"
	"github.com/stadsnat/accessd/cmd/accessd/internal/upstream/atlasportal/portaltest"
	"github.com/stadsnat/accessd/cmd/accessd/internal/upstream/cubit/cubittest"
	"github.com/stadsnat/accessd/cmd/accessd/internal/upstream/spapi/sptest"
	"github.com/stadsnat/accessd/store"
	"github.com/stadsnat/accessd/store/inventory"
)

// The demo's upstream systems are the project's own test servers, which
// enforce the documents they model (package docs of portaltest, cubittest
// and sptest): the Atlas order portal, the power utility's Cubit and the
// demo provider's PI-API 2.3 customer look-up. They run in the demo's
// process on loopback at kernel-chosen ports; their secrets are random per
// run and reach accessd only as files in the state directory.
const (
	// demoPortalUser is the KO's Atlas API user at the simulated portal.
	demoPortalUser = "4711"
	// demoSPUser is the KO's HTTP Basic user at the demo provider.
	demoSPUser = "demo-ko"
	// demoMeteringPoint is the metering point id of the demo's plant
	// (files/plant.json), which accessd pushes to the simulated Cubit.
	demoMeteringPoint = "735999900001000107"
	// demoPlantAccess is the access that carries it.
	demoPlantAccess = "ALS10010"
	// demoCubitEnvironment is the demo daemon's environment.
	demoCubitEnvironment = "test"
)

// The secret files in the state directory.
const (
	portalKeyFile  = "atlas-portal.key"
	cubitKeyFile   = "cubit.key"
	spPasswordFile = "sp.password"
)

// demoPlantJSON is a JSON inventory of one access, ALS10010 as the demo
// CSV has it, carrying a Cubit plant: CSV has no plant columns, so the demo
// imports it after the CSV (a test keeps the access equal to the CSV's).
//
//go:embed files/plant.json
var demoPlantJSON []byte

// portalOrder is a demo order in the simulated portal, the portal status
// it reaches once accessd has read it in and acted, and how.
type portalOrder struct {
	portaltest.Order
	want, how string
}

// demoPortalOrders are the portal's demo orders, made at start: one for
// today, which accessd reads in, places, has the demo hook carry out and
// drives to delivered; one for a week later, which waits.
func demoPortalOrders(now time.Time, loc *time.Location) []portalOrder {
	day := func(d int) string { return now.In(loc).AddDate(0, 0, d).Format(time.DateOnly) }
	return []portalOrder{
		{portaltest.Order{ID: 7001, Socket: demoPlantAccess, ServiceUID: "BB100100", Date: day(0), CustomerID: 3101},
			"delivered", "read in, carried out by the demo hook: received, active, delivered"},
		{portaltest.Order{ID: 7002, Socket: "ALS10007", ServiceUID: "IPTV", Date: day(7), CustomerID: 3102},
			"waiting", "read in, scheduled: received, waiting"},
	}
}

// upstreams are the demo's simulated upstream systems.
type upstreams struct {
	portal    *portaltest.Portal
	portalSrv *httptest.Server
	cubit     *cubittest.Server
	sp        *sptest.Server
	orders    []portalOrder
	// fill are the configuration template's placeholders for them, each
	// followed by its value.
	fill []string
}

// startUpstreams starts the simulated upstream systems and writes their
// secrets into dir.
func startUpstreams(dir string, loc *time.Location) (u *upstreams, err error) {
	portalKey, cubitKey, cubitProdKey, spPassword := randomSecret(), randomSecret(), randomSecret(), randomSecret()
	for name, v := range map[string]string{portalKeyFile: portalKey, cubitKeyFile: cubitKey, spPasswordFile: spPassword} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(v+"\n"), 0o600); err != nil {
			return nil, fmt.Errorf("demo upstream secret: %w", err)
		}
	}
	u = &upstreams{orders: demoPortalOrders(time.Now(), loc)}
	defer func() {
		if err != nil {
			u.close()
		}
	}()
	u.portal = portaltest.New(portaltest.Options{APIUser: demoPortalUser, APIKey: portalKey, Location: loc})
	for _, o := range u.orders {
		u.portal.AddOrder(o.Order)
	}
	u.portalSrv = httptest.NewServer(u.portal)
	// The prod key exists only in the simulated Cubit: the demo daemon is
	// environment test, and Cubit refuses the other environment's key.
	if u.cubit, err = cubittest.New(cubittest.Config{Keys: map[string]string{"test": cubitKey, "prod": cubitProdKey}}); err != nil {
		return nil, fmt.Errorf("demo cubit: %w", err)
	}
	u.sp = sptest.New(sptest.Config{User: demoSPUser, Password: spPassword})
	as, err := demoAccesses()
	if err != nil {
		return nil, err
	}
	for i, a := range as {
		u.sp.Add(demoCustomer(i, a.AccessID))
	}
	u.fill = []string{
		"ATLAS_PORTAL_URL", u.portalSrv.URL + "/plain/serviceguide_log",
		"CUBIT_URL", u.cubit.URL,
		"SP_URL", u.sp.Root(),
	}
	return u, nil
}

// demoCustomer is the demo provider's (fictitious) customer on the access
// at index i of the demo inventory.
func demoCustomer(i int, access string) sptest.Entry {
	n := i + 1
	return sptest.Entry{AccessID: access, Service: "BB100100", SPReference: fmt.Sprintf("DEMO-%05d", n),
		Name: fmt.Sprintf("Demokund %d", n), Email: fmt.Sprintf("kund%d@demo.example", n),
		Phone: fmt.Sprintf("0322-6%04d", n), MobilePhone: fmt.Sprintf("070-6%06d", n)}
}

// close stops what was started.
func (u *upstreams) close() {
	if u.portalSrv != nil {
		u.portalSrv.Close()
	}
	if u.cubit != nil {
		u.cubit.Close()
	}
	if u.sp != nil {
		u.sp.Close()
	}
}

// synced reports whether every demo portal order has the status it
// reaches and the simulated Cubit holds the demo's plant.
func (u *upstreams) synced() bool {
	for _, o := range u.orders {
		if u.portal.Status(o.ID) != o.want {
			return false
		}
	}
	_, ok := u.cubit.Plant(demoCubitEnvironment, demoMeteringPoint)
	return ok
}

// importPlant imports the demo's plant (files/plant.json) as a JSON
// inventory would be: after the upstream subsystem is built, so that the
// store's change hook makes its Cubit outbox entry in the same transaction.
func importPlant(db *store.DB) error {
	in, err := store.ReadIncoming(inventory.JSON, bytes.NewReader(demoPlantJSON))
	if err != nil {
		return fmt.Errorf("demo plant: %w", err)
	}
	if _, err := db.Inventory().Import(in, store.ImportOptions{Plants: true}); err != nil {
		return fmt.Errorf("demo plant: %w", err)
	}
	return nil
}

// UpstreamTask imports the demo's plant and is ready once the simulated
// upstream systems have what accessd sends them: the portal's demo orders
// at their statuses (the one for today carried out by the demo hook and
// delivered) and the plant in Cubit; so the daemon is ready with the
// upstream sync shown.
func (p *Peers) UpstreamTask(db *store.DB) subsys.Task {
	return subsys.Task{Name: "demo-upstream", Run: func(ctx context.Context, ready func()) error {
		if err := importPlant(db); err != nil {
			return err
		}
		p.log.Info("demo plant imported", "access_id", demoPlantAccess, "metering_point", demoMeteringPoint)
		settle, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		if !poll(settle, p.up.synced) && ctx.Err() == nil {
			p.log.Warn("the simulated upstream systems do not have the demo's orders and plant after 30s; ready anyway")
		}
		ready()
		return nil
	}}
}

// banner is what the demo's banner says of the simulated upstream systems.
func (u *upstreams) banner(stateDir string) []string {
	lines := []string{
		fmt.Sprintf("  upstream         simulated on loopback; their secrets are files in %s, new each run", stateDir),
		fmt.Sprintf("    Atlas portal   %s/plain/serviceguide_log (api_user %s, key in %s)", u.portalSrv.URL, demoPortalUser, portalKeyFile),
	}
	for _, o := range u.orders {
		lines = append(lines, fmt.Sprintf("                   order %d: %s on %s for %s; %s", o.ID, o.ServiceUID, o.Socket, o.Date, o.how))
	}
	return append(lines,
		fmt.Sprintf("    Cubit          %s (environment %s, key in %s): the plant of %s, metering point %s", u.cubit.URL, demoCubitEnvironment,
			cubitKeyFile, demoPlantAccess, demoMeteringPoint),
		fmt.Sprintf("    provider       %s (user demo's PI-API 2.3 customer look-up; %s, password in %s): a customer on every demo access",
			u.sp.Root(), demoSPUser, spPasswordFile),
	)
}

// randomSecret is a new random secret for one demo run.
func randomSecret() string { return rand.Text() }
