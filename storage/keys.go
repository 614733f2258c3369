package storage

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"strings"
	"time"

	"banchengshi/pii"
)

// KeyReason says why the configured data keys were refused.
type KeyReason string

// Reasons for a KeyError.
const (
	// KeyNotConfigured: the database holds data sealed with a key that is
	// not configured (a lost or changed BCS_DATA_KEY, a missing key file).
	KeyNotConfigured KeyReason = "not_configured"
	// KeyCannotOpen: the database holds sealed data from before key checks
	// that none of the configured keys opens.
	KeyCannotOpen KeyReason = "cannot_open"
	// KeyCheckMismatch: a configured key has the id of a recorded key but not
	// its check value.
	KeyCheckMismatch KeyReason = "check_mismatch"
	// KeyRetired: a running process would seal with a key a rotation has
	// retired, and it does not have the key in use (KeyIDs). It refuses the
	// write rather than seal data the other processes may no longer open.
	KeyRetired KeyReason = "retired"
)

// KeyError refuses a start whose data keys cannot open the personal data
// already stored: with it the product would seal new data with a key that
// nobody can open the old data with. It also refuses a write that a running
// process could only seal with a retired key (KeyRetired).
type KeyError struct {
	Reason KeyReason
	// KeyIDs are the ids of the keys the database needs (never the keys).
	KeyIDs []string
}

func (e *KeyError) Error() string {
	ids := strings.Join(e.KeyIDs, ", ")
	switch e.Reason {
	case KeyNotConfigured:
		return fmt.Sprintf("the database holds personal data sealed with data key id %s, which is not configured: "+
			"set BCS_DATA_KEY to that key (or restore the key file from backup); to rotate keys, set the new key as "+
			"BCS_DATA_KEY and the old one as BCS_DATA_KEY_PREVIOUS", ids)
	case KeyCannotOpen:
		return "the configured data key cannot open the personal data already in the database: " +
			"set BCS_DATA_KEY to the key it was sealed with (or restore the key file from backup)"
	case KeyRetired:
		if ids == "" {
			return "the data key this process seals with is retired and no key is in use: nothing new is written " +
				"until it is restarted with the key the database's data was last sealed with"
		}
		return fmt.Sprintf("the data key this process seals with is retired and the key in use, id %s, is not configured: "+
			"nothing new is written until it is restarted with BCS_DATA_KEY set to that key", ids)
	}
	return fmt.Sprintf("the configured data key has the id %s but not its check value: it is not the key the data was sealed with", ids)
}

// dataKey is a row of data_keys.
type dataKey struct {
	id, check string
	retired   bool
	created   time.Time
	activated *time.Time // nil for keys recorded before migration 0014
}

// checkKeys compares the configured keys with the keys the database records
// (data_keys) and records the primary key when it is new. A database with
// no record is new or from before key checks: its sealed data, if any, must
// open with a configured key. A recorded key still in use must be
// configured. A new primary key beside the recorded one (configured as
// previous) starts a rotation; see Rekey.
func (s *SQL) checkKeys(ctx context.Context) error {
	recorded, err := s.dataKeys(ctx)
	if err != nil {
		return err
	}
	configured := s.sealer.Keys()
	primary := configured[0]
	if len(recorded) == 0 {
		opened, err := s.probeSealed(ctx)
		if err != nil {
			return err
		}
		if opened != "" && opened != primary.ID {
			for _, k := range configured {
				if k.ID == opened {
					if err := s.recordKey(ctx, k, false); err != nil {
						return err
					}
				}
			}
		}
		return s.recordKey(ctx, primary, true)
	}
	var missing []string
	active, primaryActive := 0, false
	for _, r := range recorded {
		k, ok := findKey(configured, r.id)
		if ok && subtle.ConstantTimeCompare([]byte(k.Check), []byte(r.check)) != 1 {
			return &KeyError{Reason: KeyCheckMismatch, KeyIDs: []string{r.id}}
		}
		if r.retired {
			continue // nothing is sealed with it any more
		}
		active++
		if !ok {
			missing = append(missing, r.id)
		}
		primaryActive = primaryActive || r.id == primary.ID
	}
	if len(missing) > 0 {
		return &KeyError{Reason: KeyNotConfigured, KeyIDs: missing}
	}
	if primaryActive {
		return nil
	}
	if active == 0 {
		var ids []string
		for _, r := range recorded {
			ids = append(ids, r.id)
		}
		return &KeyError{Reason: KeyNotConfigured, KeyIDs: ids}
	}
	// A new primary key (or one retired before), the recorded one configured
	// as previous: a rotation begins, and values sealed from now on carry
	// the new key's id.
	return s.recordKey(ctx, primary, true)
}

func findKey(keys []pii.KeyCheck, id string) (pii.KeyCheck, bool) {
	for _, k := range keys {
		if k.ID == id {
			return k, true
		}
	}
	return pii.KeyCheck{}, false
}

func (s *SQL) dataKeys(ctx context.Context) ([]dataKey, error) { return s.dataKeysOn(ctx, s.q, "") }

// dataKeysOn reads data_keys on q, the SELECT ended with lock.
func (s *SQL) dataKeysOn(ctx context.Context, q querier, lock string) ([]dataKey, error) {
	rows, err := q.QueryContext(ctx, "SELECT key_id, check_value, retired_at, created_at, activated_at FROM data_keys ORDER BY created_at, key_id"+lock)
	if err != nil {
		return nil, s.wrap(err, "read data keys")
	}
	defer rows.Close()
	var out []dataKey
	for rows.Next() {
		var k dataKey
		var retired *time.Time
		if err := rows.Scan(&k.id, &k.check, timePtrCol{&retired}, timeCol{&k.created}, timePtrCol{&k.activated}); err != nil {
			return nil, s.wrap(err, "read data keys")
		}
		k.retired = retired != nil
		out = append(out, k)
	}
	if err := rows.Err(); err != nil {
		return nil, s.wrap(err, "read data keys")
	}
	return out, nil
}

// recordKey records k as a key data is sealed with, or marks it in use
// again; activate makes it the key in use (see keyRing), which every process
// that has it seals with from then on.
func (s *SQL) recordKey(ctx context.Context, k pii.KeyCheck, activate bool) error {
	now := s.d.t(time.Now())
	var activated any
	if activate {
		activated = now
	}
	q := s.d.insertIgnore("data_keys", []string{"key_id", "check_value", "created_at", "retired_at", "activated_at"}, "key_id")
	if _, err := s.q.ExecContext(ctx, q, k.ID, k.Check, now, nil, activated); err != nil {
		return s.wrap(err, "record data key %s", k.ID)
	}
	q, args := "UPDATE data_keys SET retired_at = NULL WHERE key_id = ?", []any{k.ID}
	if activate {
		q, args = "UPDATE data_keys SET retired_at = NULL, activated_at = ? WHERE key_id = ?", []any{now, k.ID}
	}
	if _, err := s.q.ExecContext(ctx, q, args...); err != nil {
		return s.wrap(err, "record data key %s", k.ID)
	}
	return nil
}

// sealedProbes are columns sealed since before key checks existed, where a
// database from then keeps sealed values. A row with a seal_ref (seal.go)
// is bound to it instead of its key.
var sealedProbes = []struct{ table, column, key, ref string }{
	{"cases", "affected_id_number", "number", ""},
	{"cases", "affected_phone", "number", ""},
	{"cases", "contact_phone", "number", ""},
	{"sessions", "data", "skey", ""},
	{"kf_messages", "raw", "msgid", ""},
	{"inbound", "body", "dedupe_key", ""},
	{"cases", "description", "number", ""},
	{"events", "body", "id", "seal_ref"},
	{"outbox", "message", "id", "seal_ref"},
}

// probeSealed looks for sealed values in a database without key records. It
// returns "" when there are none, the id of the configured key that opens
// one of them, or a KeyError when none of a few opens with any.
func (s *SQL) probeSealed(ctx context.Context) (string, error) {
	found := false
	for _, p := range sealedProbes {
		ref := "''"
		if p.ref != "" {
			ref = p.ref
		}
		rows, err := s.q.QueryContext(ctx, "SELECT "+p.key+", "+ref+", "+p.column+" FROM "+p.table+
			" WHERE "+p.column+" LIKE 'v_:%' ORDER BY "+p.key+" LIMIT 3")
		if err != nil {
			return "", s.wrap(err, "look for sealed data in %s", p.table)
		}
		type probe struct{ key, ref, value string }
		var probes []probe
		for rows.Next() {
			var v probe
			if err := rows.Scan(&v.key, sealRefCol{&v.ref}, &v.value); err != nil {
				rows.Close()
				return "", s.wrap(err, "look for sealed data in %s", p.table)
			}
			probes = append(probes, v)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return "", s.wrap(err, "look for sealed data in %s", p.table)
		}
		for _, v := range probes {
			if !pii.LooksSealed(v.value) {
				continue
			}
			found = true
			id, err := s.sealer.OpenedBy(v.value, ad(p.table, p.column, refRow(v.ref, v.key)))
			if err == nil {
				return id, nil
			}
			if !errors.Is(err, pii.ErrOpen) && !errors.Is(err, pii.ErrUnknownKey) {
				return "", err
			}
		}
	}
	if found {
		return "", &KeyError{Reason: KeyCannotOpen}
	}
	return "", nil
}
