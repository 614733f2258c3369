package schedule

import (
	"context"
	"errors"
	"fmt"
	"time"

	"banchengshi/cases"
)

// followUps walks the resolved cases: the citizen who has not rated within
// FollowUpWait gets one reminder; CallWait after that reminder the window's
// duty staff get a phone task. Each fires once per answer (per ResolvedAt):
// a case reopened and resolved again is followed up again.
func (s *Scheduler) followUps(ctx context.Context, now time.Time) error {
	return s.eachCase(ctx, []cases.Status{cases.StatusResolved}, func(c *cases.Case) error {
		if c.ResolvedAt == nil || now.Before(c.ResolvedAt.Add(FollowUpWait)) {
			return nil
		}
		reminded, err := s.step(ctx, c, now, "reminder", s.cfg.Desk.FollowUpReminder)
		if err != nil {
			return err
		}
		if reminded.IsZero() || now.Before(reminded.Add(CallWait)) {
			return nil
		}
		_, err = s.step(ctx, c, now, "call", s.cfg.Desk.FollowUpCall)
		return err
	})
}

// step fires one follow-up step of case c unless it fired already, and
// returns when it fired.
func (s *Scheduler) step(ctx context.Context, c *cases.Case, now time.Time, name string,
	fire func(context.Context, cases.Repo, *cases.Case) error) (time.Time, error) {
	key := fmt.Sprintf("followup:%d:%d:%s", c.ID, c.ResolvedAt.Unix(), name)
	at, err := s.cfg.Repo.MarkedAt(ctx, key)
	if err == nil {
		return at, nil
	}
	if !errors.Is(err, cases.ErrNotFound) {
		return time.Time{}, fmt.Errorf("read follow-up %s of %s: %w", name, c.Number, err)
	}
	fired := false
	err = s.cfg.Repo.InTx(ctx, func(r cases.Repo) error {
		fresh, err := r.GetCaseByID(ctx, c.ID)
		if err != nil {
			return err
		}
		if fresh.Status != cases.StatusResolved || fresh.ResolvedAt == nil || !fresh.ResolvedAt.Equal(*c.ResolvedAt) {
			return nil // rated, closed or reopened meanwhile
		}
		first, err := r.MarkOnce(ctx, key, now)
		if err != nil || !first {
			return err
		}
		fired = true
		return fire(ctx, r, fresh)
	})
	if err != nil {
		return time.Time{}, fmt.Errorf("follow-up %s of %s: %w", name, c.Number, err)
	}
	if !fired {
		return time.Time{}, nil
	}
	return now, nil
}
