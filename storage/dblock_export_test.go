package storage

// LockName exposes the GET_LOCK name of key, so that tests can find and kill
// the connection that holds it.
func (l *DBLocker) LockName(key string) string { return l.lockName(key) }

// Locks exposes the MySQL locker of a DBShared.
func (s *DBShared) Locks() *DBLocker { return s.locks }

// Freeze stops a held lock's own expiry timer, as if its process hung or its
// node vanished without closing the socket: only the server can free it now.
func Freeze(l Lock) { l.(*dbLock).timer.Stop() }
