-- 0007 a round's judge id and each batch's start.
-- iterations.judge_id: the id the round's scores are stored under (scores.judge_id): the judge
-- checkpoint's content hash, or "http:MODEL@URL" for a judge endpoint. The Filter and the statistics
-- take the round's scores by it; judge_checkpoint alone named no HTTP judge's scores.
-- batches.started_at: when a worker began the batch's current attempt. A batch still queued behind
-- others is waiting, not stuck: the stuck clock runs from here (or, for a batch never started,
-- from the last moment its stage's queue moved).
ALTER TABLE iterations ADD COLUMN judge_id text NOT NULL DEFAULT '';
UPDATE iterations SET judge_id = judge_checkpoint;
ALTER TABLE iterations ALTER COLUMN judge_id DROP DEFAULT;

ALTER TABLE batches ADD COLUMN started_at timestamp with time zone;

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
ORDER BY c.id, (s.judge_id = it.judge_id) DESC, s.created_at DESC, s.id DESC;

COMMENT ON VIEW candidate_scores IS
    'One score row per scored candidate: the iteration''s judge (iterations.judge_id) if it scored the candidate, else the most recent score. s_r = answer score, s_b = box (crop) score; NULL when the judge gave none (see error).';
COMMENT ON COLUMN iterations.judge_id IS 'The id the round''s scores are stored under (scores.judge_id): the judge checkpoint''s content hash, or http:MODEL@URL for a judge endpoint.';
COMMENT ON COLUMN batches.started_at IS 'When a worker began the current attempt; NULL while it waits in the queue.';
