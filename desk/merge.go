package desk

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"banchengshi/cases"
	"banchengshi/staff"
)

// maxMergeHops bounds how far a chain of merged cases is followed; a longer
// chain can only be a loop left by data written before merges were checked.
const maxMergeHops = 16

// mergeTarget finds the case that c is to be merged into when member m names
// ref: the case named, or, when that one was itself merged, the case its
// chain of merges ends in (the one still worked on). The case named and the
// final one must be cases m may open; the final one must be open and must not
// be c. It also returns the cases the chain went through, for the answer.
func (t *txDesk) mergeTarget(ctx context.Context, m *staff.Member, c *cases.Case, ref string) (*cases.Case, []string, error) {
	target, err := t.resolveCase(ctx, m, ref)
	if err != nil {
		return nil, nil, err
	}
	if target.ID == c.ID {
		return nil, nil, refuse(ReasonMergeSelf, c.Number)
	}
	if staff.Can(m, cases.ActionView, target) != nil {
		return nil, nil, refuse(ReasonMergeHidden, target.Number)
	}
	var via []string
	for target.Status == cases.StatusMerged {
		if len(via) == maxMergeHops || target.MergedInto == "" || slices.Contains(via, target.Number) {
			return nil, nil, refuse(ReasonMergeChainBroken, target.Number)
		}
		via = append(via, target.Number)
		next, err := t.r.GetCase(ctx, target.MergedInto)
		if errors.Is(err, cases.ErrNotFound) {
			return nil, nil, refuse(ReasonMergeChainBroken, target.Number)
		}
		if err != nil {
			return nil, nil, fmt.Errorf("follow merge of %s: %w", target.Number, err)
		}
		target = next
	}
	if target.ID == c.ID {
		return nil, nil, &Refusal{Reason: ReasonMergedHere, Case: c.Number, Via: via[0]}
	}
	if len(via) > 0 && staff.Can(m, cases.ActionView, target) != nil {
		return nil, nil, &Refusal{Reason: ReasonMergeChainHidden, Case: target.Number, Via: via[0]}
	}
	if !target.Status.Working() {
		return nil, nil, &Refusal{Reason: ReasonMergeTargetClosed, Case: target.Number, Status: target.Status}
	}
	return target, via, nil
}

// holdTarget saves the merge target unchanged but for its version, inside the
// merge's transaction: should somebody close, withdraw or merge it meanwhile
// (two staff merging two cases into each other at once would otherwise leave
// both merged and nobody working on either), one of the two transactions is
// refused as a conflict.
func (t *txDesk) holdTarget(ctx context.Context, target *cases.Case) error {
	if err := t.r.UpdateCase(ctx, target); err != nil {
		if errors.Is(err, cases.ErrConflict) {
			ref := t.conflict(ctx, target.Number)
			ref.conflict = target.Number
			return ref
		}
		return fmt.Errorf("hold merge target %s: %w", target.Number, err)
	}
	return nil
}

// answerMerged gives the answer to the citizens whose cases were merged into
// c, directly or through a case merged into c: they are owed it as much as
// c's own reporter.
func (t *txDesk) answerMerged(ctx context.Context, c *cases.Case, answer string) error {
	seen := map[string]bool{c.Number: true}
	queue := []string{c.Number}
	for len(queue) > 0 {
		into := queue[0]
		queue = queue[1:]
		merged, err := t.r.ListCases(ctx, cases.Filter{Status: []cases.Status{cases.StatusMerged}, MergedInto: into, Limit: 500})
		if err != nil {
			return fmt.Errorf("find cases merged into %s: %w", into, err)
		}
		for _, mc := range merged {
			if seen[mc.Number] {
				continue
			}
			seen[mc.Number] = true
			queue = append(queue, mc.Number)
			text := fmt.Sprintf(textCitizenMergedResolved, mc.Number, answer)
			if err := t.toCitizenMessage(ctx, mc, cases.Message{Text: text, Urgent: cases.UrgentAnswer}, cases.PriorityCritical); err != nil {
				return err
			}
			ev := &cases.Event{At: t.now(), Actor: cases.ActorSystem, Kind: cases.EventNote, Body: fmt.Sprintf(textMergedResolvedNote, c.Number)}
			if err := t.append(ctx, mc.ID, ev); err != nil {
				return err
			}
		}
	}
	return nil
}

// Answers to staff about a merge.
const textMergedVia = "案件 %s 已并入 %s，本案一并并入 %[2]s。\n"
