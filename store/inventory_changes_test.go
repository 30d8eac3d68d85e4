package store

import "testing"

// Inventory.Changes moves, by the time a write returns, with every write
// that moves Generation (a cache that reads Generation only when Changes
// moved misses no change), and stays put on reads and refused writes.
func TestInventoryChangesFollowGeneration(t *testing.T) {
	d, _ := openTest(t)
	inv := d.Inventory()
	c, g := inv.Changes(), mustGeneration(t, d)
	step := func(what string, write func() error, wantMove bool) {
		t.Helper()
		err := write()
		if wantMove && err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		c1, g1 := inv.Changes(), mustGeneration(t, d)
		if g1 != g && c1 == c {
			t.Errorf("%s moved Generation (%d to %d) but not Changes (%d)", what, g, g1, c)
		}
		if moved := c1 != c; moved != wantMove {
			t.Errorf("%s: Changes moved %v (%d to %d), want %v", what, moved, c, c1, wantMove)
		}
		c, g = c1, g1
	}
	step("an import", func() error {
		_, err := inv.Import(incoming(acc("A1", "sw1 eth 0/1"), acc("A2", "sw1 eth 0/2")), ImportOptions{})
		return err
	}, true)
	step("a look-up", func() error { _, err := inv.ResolveCircuit("sw1 eth 0/1", "eth 0/1", "sw1"); return err }, false)
	step("a refused import", func() error {
		_, err := inv.Import(incoming(acc("A3", "sw1 eth 0/1")), ImportOptions{})
		return err
	}, false)
	step("a removal", func() error { return inv.RemoveAccess("A1") }, true)
	step("a cluster batch", func() error {
		_, err := d.Cluster().ApplyInventory(incoming(acc("A4", "sw1 eth 0/4")), nil, 1, true)
		return err
	}, true)
}

func mustGeneration(t *testing.T, d *DB) uint64 {
	t.Helper()
	g, err := d.Inventory().Generation()
	if err != nil {
		t.Fatal(err)
	}
	return g
}
