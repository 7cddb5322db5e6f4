-- 0007 down: candidate_scores by judge_checkpoint again; drop iterations.judge_id and batches.started_at.
CREATE OR REPLACE VIEW candidate_scores AS
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

ALTER TABLE batches DROP COLUMN started_at;
ALTER TABLE iterations DROP COLUMN judge_id;
