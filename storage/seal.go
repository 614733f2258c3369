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
// messages their msgid, sessions their key. Rows whose only key is the id
// the database assigns (events, outbox, attachments, draft files) are
// inserted with their sealed columns empty and sealed by id right after, in
// the same transaction.

func ad(table, column, row string) pii.AD { return pii.AD{Table: table, Column: column, Row: row} }

func adID(table, column string, id int64) pii.AD {
	return pii.AD{Table: table, Column: column, Row: strconv.FormatInt(id, 10)}
}

// sealKey returns the sealer that this transaction seals personal data
// with. Every write that seals runs in a transaction and asks here, so that
// the key it seals with is decided in one place.
func (s *SQL) sealKey(ctx context.Context) (*pii.Sealer, error) {
	if s.tx == nil {
		return nil, errors.New("storage: personal data is sealed only inside a transaction")
	}
	return s.sealer, nil
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

// openError classifies a failure to open. A value under a key id that the
// database knows (data_keys) but this process is not configured with passes
// once the process is restarted with that key; anything else is unreadable
// for good.
func (s *SQL) openError(ctx context.Context, err error, at pii.AD, sealed, keyID string) error {
	if errors.Is(err, pii.ErrUnknownKey) && keyID != "" && !s.memory {
		// On the pool, not s.q: the caller may be reading rows of its
		// transaction, and MySQL takes no second query on a connection
		// with rows open. A database in memory has no other process that
		// could hold a key this one lacks.
		var n int
		qerr := s.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM data_keys WHERE key_id = ?", keyID).Scan(&n)
		if qerr != nil {
			return s.wrap(qerr, "open %s: look up key %s", at, keyID)
		}
		if n > 0 {
			return fmt.Errorf("open %s: %w; restart this process with that key (BCS_DATA_KEY or BCS_DATA_KEY_PREVIOUS)", at, err)
		}
	}
	return &cases.UnreadableError{Table: at.Table, Column: at.Column, Key: at.Row, Sealed: sealed, Err: err}
}
