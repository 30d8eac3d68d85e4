package main_test

import (
	"testing"

	"github.com/stadsnat/accessd/internal/testkit"
)

// TestMain removes the commands testkit.Binaries built.
func TestMain(m *testing.M) { testkit.Main(m) }
