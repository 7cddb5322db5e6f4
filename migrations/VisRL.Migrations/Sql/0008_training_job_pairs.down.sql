-- 0008 down: the DPO jobs' pinned pairs.
ALTER TABLE training_jobs DROP COLUMN pair_ids;
