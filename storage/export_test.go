package storage

import "database/sql"

// RawDB exposes the database handle so tests can look at what is stored.
func RawDB(s *SQL) *sql.DB { return s.db }
