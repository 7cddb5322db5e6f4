-- 0005 down: the training jobs' machine.
ALTER TABLE training_jobs DROP COLUMN machine_json;
