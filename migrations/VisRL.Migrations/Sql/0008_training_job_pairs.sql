-- 0008 the pairs a DPO job trains on, fixed at its first start.
-- A pair set's pairs are fixed, but which of them a job can use depends on its items' images at the
-- moment it starts (an item whose image cannot be had is left out). A job resumed after a crash or an
-- outage must go on with the pairs it started on: its planned steps, data order and stored reference
-- log-probs all depend on them. NULL for the supervised stages and for jobs started before 0008.
ALTER TABLE training_jobs ADD COLUMN pair_ids bigint[];

COMMENT ON COLUMN training_jobs.pair_ids IS 'DPO jobs: the pairs (pairs.id) the job trains on, in training order, fixed at its first start; a resumed job gets exactly these or fails naming the ones it cannot have.';
