package storage

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"banchengshi/cases"
	"banchengshi/pii"
)

// Every sealed value is bound to where it lives (pii.AD): its table, its
// column and a key of its row that exists when the value is sealed and never
// changes. Cases use their number, inbound callbacks their dedupe key, kf
// messages their msgid, sessions their key.
//
// Outbox rows and timeline events, written for nearly every message, have no
// such key of their own (an outbox row's send_key changes when the message
// is held or sent again), so they are given one: seal_ref, a random
// reference chosen before the insert (migration 0019), which lets the row be
// inserted sealed in one statement. Rows written before it have none (NULL)
// and stay bound to their id; a reference is never empty, so the row itself
// says which binding it has. Attachments and draft files, rarer, are still
// inserted with their sealed columns empty and sealed by id right after, in
// the same transaction.
//
// What makes any of these keys a binding is that it is unique in its table:
// a value copied into another row together with its key needs a second row
// with that key, which the database refuses. So seal_ref has a unique index
// too. Folding what the row is about into the associated data instead (an
// outbox row's recipient, an event's case) would cost no index, but a copy
// between two rows of one citizen or one case would still open: a reply
// sent twice or in place of another, a timeline entry repeated. The index
// costs no statement or round trip, only an entry in a second B-tree per
// insert, as the other tables pay for their keys. A copy that clears the
// reference it came from first is a move, not a copy: the value then opens
// in one row only, as a case's values move with its number.

func ad(table, column, row string) pii.AD { return pii.AD{Table: table, Column: column, Row: row} }

func adID(table, column string, id int64) pii.AD {
	return pii.AD{Table: table, Column: column, Row: strconv.FormatInt(id, 10)}
}

// sealRefPrefix starts the associated row of a value bound to a seal_ref. An
// id is digits alone, so a reference can never name the row an id does: a
// value moved between a row bound by id and one bound by reference fails to
// open, as between any two rows.
const sealRefPrefix = "ref:"

// newSealRef returns a fresh reference for a row to seal its values to: 24
// hex digits (96 random bits), as a send key.
func newSealRef() string { return newToken()[:24] }

// refRow is the associated row of a row with a seal_ref column: its
// reference, or key (the id as text) for a row written before references.
func refRow(ref, key string) string {
	if ref == "" {
		return key
	}
	return sealRefPrefix + ref
}

// sealRefCol scans a seal_ref column: NULL, a row written before
// references, becomes "".
type sealRefCol struct{ dst *string }

// Scan implements sql.Scanner.
func (c sealRefCol) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*c.dst = ""
	case string:
		*c.dst = v
	case []byte:
		*c.dst = string(v)
	default:
		return fmt.Errorf("scan seal_ref: unexpected %T", src)
	}
	return nil
}

// adSealRef is where a value sealed to the reference ref lives.
func adSealRef(table, column, ref string) pii.AD {
	return pii.AD{Table: table, Column: column, Row: sealRefPrefix + ref}
}

// adRef is where a stored value of a row with a seal_ref column lives: bound
// to its reference, or to its id when it has none.
func adRef(table, column, ref string, id int64) pii.AD {
	if ref == "" {
		return adID(table, column, id)
	}
	return adSealRef(table, column, ref)
}

// openRef is openLegacy for a row with a seal_ref column. An unreadable value
// names its row by id, as set_aside and the rekey do, not by reference.
func (s *SQL) openRef(ctx context.Context, v string, table, column, ref string, id int64) (string, error) {
	v, err := s.openLegacy(ctx, v, adRef(table, column, ref, id))
	if u := cases.AsUnreadable(err); u != nil {
		u.Key, u.ID = strconv.FormatInt(id, 10), id
	}
	return v, err
}

// open decrypts a sealed column; what cannot be opened is an error, never
// silently shown as ciphertext: a *cases.UnreadableError when the value is
// damaged or misplaced, a passing error when it was sealed with a key this
// replica does not have yet (during a rotation).
func (s *SQL) open(ctx context.Context, sealed string, at pii.AD) (string, error) {
	v, err := s.sealer.Open(sealed, at)
	if err != nil {
		return "", s.openError(ctx, err, at, sealed, pii.SealedKeyID(sealed))
	}
	return v, nil
}

// openLegacy is open for the columns sealed since migration 0006 (names and
// what citizens and staff wrote): rows written before hold plaintext, which is
// returned as it is. ID and phone columns were sealed from the start and go
// through open, which accepts nothing else.
func (s *SQL) openLegacy(ctx context.Context, v string, at pii.AD) (string, error) {
	if !pii.LooksSealed(v) {
		return v, nil
	}
	return s.open(ctx, v, at)
}

// openBytes opens a file's bytes; sealed is false for rows stored before
// files were sealed, whose bytes are returned as they are.
func (s *SQL) openBytes(ctx context.Context, data []byte, sealed bool, at pii.AD) ([]byte, error) {
	if !sealed {
		if data == nil {
			data = []byte{}
		}
		return data, nil
	}
	plain, err := s.sealer.OpenBytes(data, at)
	if err != nil {
		return nil, s.openError(ctx, err, at, "", pii.SealedBytesKeyID(data))
	}
	return plain, nil
}

// openError classifies a failure to open. A value under a key that is in use
// (in data_keys, not retired) but that this process does not have passes
// once the process is restarted with that key: a rotation moved on without
// it. A key that is retired, and not configured here, or that the database
// never had, is not coming back: the value is unreadable for good, to be set
// aside, so that it stops nobody else.
func (s *SQL) openError(ctx context.Context, err error, at pii.AD, sealed, keyID string) error {
	if errors.Is(err, pii.ErrUnknownKey) && keyID != "" {
		if !s.memory {
			// On the pool, not s.q: the caller may be reading rows of its
			// transaction, and MySQL takes no second query on a connection
			// with rows open. A database in memory has no other process
			// that could have recorded a key since this one last looked.
			if _, rerr := s.refreshKeys(ctx, s.db, ""); rerr != nil {
				return fmt.Errorf("open %s: %w", at, rerr)
			}
		}
		if _, inUse := s.keys.known(keyID); inUse {
			return fmt.Errorf("open %s: %w; restart this process with that key (BCS_DATA_KEY or BCS_DATA_KEY_PREVIOUS)", at, err)
		}
	}
	return &cases.UnreadableError{Table: at.Table, Column: at.Column, Key: at.Row, Sealed: sealed, Err: err}
}
