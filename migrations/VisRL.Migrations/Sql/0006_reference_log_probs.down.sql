-- 0006 down: the DPO jobs' stored reference log-probs.
DROP TABLE reference_log_probs;
