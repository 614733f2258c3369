package storage

import (
	"database/sql"
	"time"
)

// RawDB exposes the database handle so tests can look at what is stored.
func RawDB(s *SQL) *sql.DB { return s.db }

// OnSealKey calls f in every transaction of s once it holds the data key it
// seals with, before it writes.
func OnSealKey(s *SQL, f func(keyID string)) { s.keys.hooks.sealKey = f }

// OnRetire calls f when s's Rekey is about to hold the keys it retires.
func OnRetire(s *SQL, f func()) { s.keys.hooks.retire = f }

// OnRetireHeld calls f when s's Rekey holds the keys it retires, before it
// counts what is left under them.
func OnRetireHeld(s *SQL, f func()) { s.keys.hooks.retireHeld = f }

// TimeValue is what a time is stored as on the driver's database.
func TimeValue(driver string, t time.Time) any { return dialect{name: driver}.t(t) }
