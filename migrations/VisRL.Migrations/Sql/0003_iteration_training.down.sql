-- 0003 down: the iteration training columns.
ALTER TABLE iterations DROP COLUMN output_checkpoint;
ALTER TABLE iterations DROP COLUMN box_checkpoint;
ALTER TABLE iterations DROP COLUMN pair_set_id;
