-- 0002 preference statistics: read-only views for `psql` over the tables of 0001 (no table changes).
-- A "round" is an iteration; an iteration may hold several pair sets ("default" and ablations), so
-- the pair-dependent views have one row per (iteration, pair set). Scores are those of
-- candidate_scores (one score per candidate, see there).

-- IoU of two xyxy boxes exactly as torchvision.ops.box_iou (and VisRL.Imaging BoxIou):
-- area = (x2-x1)*(y2-y1); inter = clamp(min(x2)-max(x1), 0) * clamp(min(y2)-max(y1), 0);
-- iou = inter / (area_a + area_b - inter); where the union is not positive, 0 (torchvision: NaN).
-- STRICT: any NULL coordinate gives NULL (GREATEST/LEAST would otherwise skip NULLs).
CREATE FUNCTION visrl_box_iou(ax1 double precision, ay1 double precision, ax2 double precision, ay2 double precision,
                              bx1 double precision, by1 double precision, bx2 double precision, by2 double precision)
RETURNS double precision
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
    SELECT CASE WHEN u.union_area > 0 THEN u.inter / u.union_area ELSE 0 END
    FROM (SELECT i.inter, (ax2 - ax1) * (ay2 - ay1) + (bx2 - bx1) * (by2 - by1) - i.inter AS union_area
          FROM (SELECT GREATEST(LEAST(ax2, bx2) - GREATEST(ax1, bx1), 0)
                     * GREATEST(LEAST(ay2, by2) - GREATEST(ay1, by1), 0) AS inter) i) u
$$;

COMMENT ON FUNCTION visrl_box_iou(double precision, double precision, double precision, double precision,
    double precision, double precision, double precision, double precision) IS
    'IoU of two normalized xyxy boxes, torchvision.ops.box_iou semantics; 0 when the union is not positive; NULL when any coordinate is NULL.';

-- One score per candidate: a candidate may be scored by several judges ((candidate, judge) is
-- unique); the iteration's judge (iterations.judge_checkpoint) wins, else the most recent score.
CREATE VIEW candidate_scores AS
SELECT DISTINCT ON (c.id)
    c.id AS candidate_id,
    c.iteration_id,
    c.item_id,
    s.judge_id,
    s.answer_score AS s_r,
    s.box_score AS s_b,
    s.error
FROM candidates c
JOIN iterations it ON it.id = c.iteration_id
JOIN scores s ON s.candidate_id = c.id
ORDER BY c.id, (s.judge_id = it.judge_checkpoint) DESC, s.created_at DESC, s.id DESC;

COMMENT ON VIEW candidate_scores IS
    'One score row per scored candidate: the iteration''s judge (iterations.judge_checkpoint) if it scored the candidate, else the most recent score. s_r = answer score, s_b = box (crop) score; NULL when the judge gave none (see error).';

-- Per round and pair set: how many items went out, how many candidates came back and were scored,
-- how many items were kept and how many pairs were made.
CREATE VIEW round_counts AS
WITH batch_items AS (
    SELECT b.iteration_id, count(DISTINCT u.item_id) AS items
    FROM batches b
    CROSS JOIN LATERAL unnest(b.item_ids) AS u(item_id)
    GROUP BY b.iteration_id
), candidate_counts AS (
    SELECT c.iteration_id,
           count(*) AS candidates,
           count(DISTINCT c.item_id) AS items_with_candidates,
           count(*) FILTER (WHERE c.x1 IS NULL OR c.y1 IS NULL OR c.x2 IS NULL OR c.y2 IS NULL) AS candidates_without_box,
           count(cs.s_r) AS scored_candidates,
           count(cs.s_b) AS box_scored_candidates
    FROM candidates c
    LEFT JOIN candidate_scores cs ON cs.candidate_id = c.id
    GROUP BY c.iteration_id
), pair_counts AS (
    SELECT p.pair_set_id, count(DISTINCT p.item_id) AS items_kept, count(*) AS pairs
    FROM pairs p
    GROUP BY p.pair_set_id
)
SELECT it.run_id,
       it.id AS iteration_id,
       it.number AS iteration,
       ps.id AS pair_set_id,
       ps.name AS pair_set,
       COALESCE(bi.items, 0) AS batch_items,
       COALESCE(cc.candidates, 0) AS candidates,
       COALESCE(cc.items_with_candidates, 0) AS items_with_candidates,
       COALESCE(cc.candidates_without_box, 0) AS candidates_without_box,
       COALESCE(cc.scored_candidates, 0) AS scored_candidates,
       COALESCE(cc.box_scored_candidates, 0) AS box_scored_candidates,
       COALESCE(pc.items_kept, 0) AS items_kept,
       COALESCE(pc.pairs, 0) AS pairs,
       COALESCE(pc.items_kept, 0)::double precision / NULLIF(bi.items, 0) AS keep_rate
FROM iterations it
LEFT JOIN pair_sets ps ON ps.iteration_id = it.id
LEFT JOIN batch_items bi ON bi.iteration_id = it.id
LEFT JOIN candidate_counts cc ON cc.iteration_id = it.id
LEFT JOIN pair_counts pc ON pc.pair_set_id = ps.id;

COMMENT ON VIEW round_counts IS
    'Per round (iteration) and pair set (NULL pair_set when the round has none yet): batch_items = distinct items in the round''s batches (any stage); candidates, items_with_candidates, candidates_without_box (box text did not parse); scored_candidates = with s_r, box_scored_candidates = with s_b (candidate_scores); items_kept = items with at least one pair; pairs; keep_rate = items_kept / batch_items.';

-- The scores of the chosen and rejected candidates of every pair, one row per (pair, side, score).
-- A candidate chosen in two pairs of an item counts twice: these are distributions over pairs.
CREATE VIEW round_score_summary AS
WITH pair_scores AS (
    SELECT ps.iteration_id, p.pair_set_id, side.side, sc.score, sc.value
    FROM pairs p
    JOIN pair_sets ps ON ps.id = p.pair_set_id
    CROSS JOIN LATERAL (VALUES ('chosen', p.chosen_candidate_id), ('rejected', p.rejected_candidate_id)) AS side(side, candidate_id)
    LEFT JOIN candidate_scores cs ON cs.candidate_id = side.candidate_id
    CROSS JOIN LATERAL (VALUES ('s_r', cs.s_r), ('s_b', cs.s_b)) AS sc(score, value)
)
SELECT it.run_id,
       it.id AS iteration_id,
       it.number AS iteration,
       ps.id AS pair_set_id,
       ps.name AS pair_set,
       x.side,
       x.score,
       count(x.value) AS n,
       count(*) - count(x.value) AS missing,
       avg(x.value) AS mean,
       min(x.value) AS min,
       max(x.value) AS max
FROM pair_scores x
JOIN pair_sets ps ON ps.id = x.pair_set_id
JOIN iterations it ON it.id = x.iteration_id
GROUP BY it.run_id, it.id, it.number, ps.id, ps.name, x.side, x.score;

COMMENT ON VIEW round_score_summary IS
    'Per round, pair set, side (chosen = winner, rejected = loser) and score (s_r, s_b): n, missing, mean, min, max over the pairs (a candidate in two pairs counts twice).';

CREATE VIEW round_score_distribution AS
WITH pair_scores AS (
    SELECT ps.iteration_id, p.pair_set_id, side.side, sc.score, sc.value
    FROM pairs p
    JOIN pair_sets ps ON ps.id = p.pair_set_id
    CROSS JOIN LATERAL (VALUES ('chosen', p.chosen_candidate_id), ('rejected', p.rejected_candidate_id)) AS side(side, candidate_id)
    LEFT JOIN candidate_scores cs ON cs.candidate_id = side.candidate_id
    CROSS JOIN LATERAL (VALUES ('s_r', cs.s_r), ('s_b', cs.s_b)) AS sc(score, value)
), bucketed AS (
    SELECT iteration_id, pair_set_id, side, score,
           LEAST(GREATEST(floor(value * 10)::integer, 0), 9) AS bucket
    FROM pair_scores
    WHERE value IS NOT NULL
), series AS (
    SELECT DISTINCT iteration_id, pair_set_id, side, score FROM pair_scores
)
SELECT it.run_id,
       it.id AS iteration_id,
       it.number AS iteration,
       ps.id AS pair_set_id,
       ps.name AS pair_set,
       s.side,
       s.score,
       g.bucket,
       g.bucket / 10.0 AS low,
       (g.bucket + 1) / 10.0 AS high,
       count(b.bucket) AS n
FROM series s
CROSS JOIN generate_series(0, 9) AS g(bucket)
JOIN pair_sets ps ON ps.id = s.pair_set_id
JOIN iterations it ON it.id = s.iteration_id
LEFT JOIN bucketed b ON b.pair_set_id = s.pair_set_id AND b.side = s.side AND b.score = s.score AND b.bucket = g.bucket
GROUP BY it.run_id, it.id, it.number, ps.id, ps.name, s.side, s.score, g.bucket;

COMMENT ON VIEW round_score_distribution IS
    'Histogram of s_r and s_b of chosen and rejected candidates per round and pair set: ten buckets [low, high) of width 0.1, the last one [0.9, 1.0] closed (values outside [0, 1] are clamped into the end buckets); n counts pairs; every bucket is listed, empty ones with n = 0.';

-- Acceptance by question family: of the items a round sent out, how many each pair set kept.
CREATE VIEW round_family_acceptance AS
WITH round_items AS (
    SELECT DISTINCT b.iteration_id, u.item_id
    FROM batches b
    CROSS JOIN LATERAL unnest(b.item_ids) AS u(item_id)
), kept AS (
    SELECT p.pair_set_id, p.item_id, count(*) AS pairs
    FROM pairs p
    GROUP BY p.pair_set_id, p.item_id
)
SELECT it.run_id,
       it.id AS iteration_id,
       it.number AS iteration,
       ps.id AS pair_set_id,
       ps.name AS pair_set,
       COALESCE(i.family, '(none)') AS family,
       count(*) AS items,
       count(k.item_id) AS items_kept,
       COALESCE(sum(k.pairs), 0)::bigint AS pairs,
       count(k.item_id)::double precision / count(*) AS acceptance_rate
FROM iterations it
JOIN round_items ri ON ri.iteration_id = it.id
JOIN items i ON i.id = ri.item_id
LEFT JOIN pair_sets ps ON ps.iteration_id = it.id
LEFT JOIN kept k ON k.pair_set_id = ps.id AND k.item_id = ri.item_id
GROUP BY it.run_id, it.id, it.number, ps.id, ps.name, COALESCE(i.family, '(none)');

COMMENT ON VIEW round_family_acceptance IS
    'Per round, pair set (NULL when the round has none yet) and question family (''(none)'' when the item has none): items = distinct items in the round''s batches, items_kept = those with at least one pair, pairs, acceptance_rate = items_kept / items.';

-- Every pair with its chosen and rejected boxes judged against the item's hidden GT box.
CREATE VIEW pair_box_hits AS
SELECT it.run_id,
       it.id AS iteration_id,
       it.number AS iteration,
       ps.id AS pair_set_id,
       ps.name AS pair_set,
       p.id AS pair_id,
       p.item_id,
       p.ordinal,
       p.chosen_candidate_id,
       p.rejected_candidate_id,
       iou.chosen_iou,
       iou.rejected_iou,
       COALESCE(iou.chosen_iou > 0.5, false) AS chosen_positive,
       COALESCE(iou.rejected_iou > 0.5, false) AS rejected_positive
FROM pairs p
JOIN pair_sets ps ON ps.id = p.pair_set_id
JOIN iterations it ON it.id = ps.iteration_id
JOIN items i ON i.id = p.item_id
JOIN candidates w ON w.id = p.chosen_candidate_id
JOIN candidates l ON l.id = p.rejected_candidate_id
CROSS JOIN LATERAL (
    SELECT visrl_box_iou(w.x1, w.y1, w.x2, w.y2, i.gt_x1, i.gt_y1, i.gt_x2, i.gt_y2) AS chosen_iou,
           visrl_box_iou(l.x1, l.y1, l.x2, l.y2, i.gt_x1, i.gt_y1, i.gt_x2, i.gt_y2) AS rejected_iou
) iou;

COMMENT ON VIEW pair_box_hits IS
    'Every pair with IoU of the chosen and rejected boxes against the item''s hidden GT box (visrl_box_iou, torchvision semantics). A box is positive when IoU > 0.5 (Visual-CoT detection hit); a candidate without a parsed box, or an item without a GT box, gives NULL IoU and counts as negative.';

-- The ablation table of the paper: shares of pairs whose winner / loser box is positive (P) or negative (N).
CREATE VIEW pair_box_quadrants AS
SELECT it.run_id,
       it.id AS iteration_id,
       it.number AS iteration,
       ps.id AS pair_set_id,
       ps.name AS pair_set,
       count(h.pair_id) AS pairs,
       count(h.pair_id) FILTER (WHERE h.chosen_positive AND h.rejected_positive) AS wp_lp,
       count(h.pair_id) FILTER (WHERE h.chosen_positive AND NOT h.rejected_positive) AS wp_ln,
       count(h.pair_id) FILTER (WHERE NOT h.chosen_positive AND h.rejected_positive) AS wn_lp,
       count(h.pair_id) FILTER (WHERE NOT h.chosen_positive AND NOT h.rejected_positive) AS wn_ln,
       (count(h.pair_id) FILTER (WHERE h.chosen_positive AND h.rejected_positive))::double precision / NULLIF(count(h.pair_id), 0) AS wp_lp_share,
       (count(h.pair_id) FILTER (WHERE h.chosen_positive AND NOT h.rejected_positive))::double precision / NULLIF(count(h.pair_id), 0) AS wp_ln_share,
       (count(h.pair_id) FILTER (WHERE NOT h.chosen_positive AND h.rejected_positive))::double precision / NULLIF(count(h.pair_id), 0) AS wn_lp_share,
       (count(h.pair_id) FILTER (WHERE NOT h.chosen_positive AND NOT h.rejected_positive))::double precision / NULLIF(count(h.pair_id), 0) AS wn_ln_share
FROM pair_sets ps
JOIN iterations it ON it.id = ps.iteration_id
LEFT JOIN pair_box_hits h ON h.pair_set_id = ps.id
GROUP BY it.run_id, it.id, it.number, ps.id, ps.name;

COMMENT ON VIEW pair_box_quadrants IS
    'Per round and pair set: counts and shares of pairs in WP-LP / WP-LN / WN-LP / WN-LN (W = chosen, L = rejected; P = box IoU > 0.5 with the item''s hidden GT box, N otherwise). A candidate without a parsed box, or an item without a GT box, counts as negative (N). Shares are NULL for a pair set without pairs.';
