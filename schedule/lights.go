package schedule

import (
	"context"
	"errors"
	"fmt"
	"time"

	"banchengshi/cases"
)

// lights recomputes the light of every case the bureau is working on.
func (s *Scheduler) lights(ctx context.Context, now time.Time) error {
	return s.eachCase(ctx, cases.WorkingStatuses(), func(c *cases.Case) error {
		return s.light(ctx, c, now)
	})
}

// lightKey marks the reminder for light l of case c under its current
// deadline: an extension or a reopening moves the deadline, and a case that
// turns yellow or red again under the new one is reminded again.
func lightKey(c *cases.Case, l cases.Light) string {
	return fmt.Sprintf("light:%d:%s:%d", c.ID, l, c.Deadline.Unix())
}

// light saves c's light when it changed and reminds once per yellow or red.
// Staff moves recompute the light too (cases.Apply), so "changed" is not
// enough to know whether anybody was reminded: the reminder's once-mark is.
func (s *Scheduler) light(ctx context.Context, c *cases.Case, now time.Time) error {
	cal := s.cfg.Desk.Calendar()
	l := cases.LightAt(c, now, cal)
	if l == c.Light {
		if l == cases.LightGreen {
			return nil
		}
		if _, err := s.cfg.Repo.MarkedAt(ctx, lightKey(c, l)); err == nil {
			return nil
		} else if !errors.Is(err, cases.ErrNotFound) {
			return fmt.Errorf("read light reminder of %s: %w", c.Number, err)
		}
	}
	err := s.cfg.Repo.InTx(ctx, func(r cases.Repo) error {
		fresh, err := r.GetCaseByID(ctx, c.ID)
		if err != nil {
			return err
		}
		from := fresh.Light
		to := cases.LightAt(fresh, now, cal)
		changed := to != from
		if changed {
			fresh.Light = to
			fresh.UpdatedAt = now
			if err := r.UpdateCase(ctx, fresh); err != nil {
				return err
			}
		}
		remind := false
		if to != cases.LightGreen {
			if remind, err = r.MarkOnce(ctx, lightKey(fresh, to), now); err != nil {
				return err
			}
		}
		if !changed && !remind {
			return nil
		}
		if !changed {
			// A staff move already showed the new light; nobody was reminded.
			from = previous(to)
		}
		return s.cfg.Desk.LightChanged(ctx, r, fresh, from, remind)
	})
	if errors.Is(err, cases.ErrConflict) {
		return nil // changed by staff meanwhile: the next tick looks again
	}
	if err != nil {
		return fmt.Errorf("light of case %s: %w", c.Number, err)
	}
	return nil
}

// previous is the light before l on the way to red.
func previous(l cases.Light) cases.Light {
	if l == cases.LightRed {
		return cases.LightYellow
	}
	return cases.LightGreen
}
