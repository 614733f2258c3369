package storage

import "database/sql"

// RawDB exposes the database handle so tests can look at what is stored.
func RawDB(s *SQL) *sql.DB { return s.db }

// OnSealKey calls f in every transaction of s once it holds the data key it
// seals with, before it writes.
func OnSealKey(s *SQL, f func(keyID string)) { s.keys.hooks.sealKey = f }
