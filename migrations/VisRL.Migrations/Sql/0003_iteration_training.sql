-- 0003 iteration training: an iteration goes on after its pairs to DPO stage 1, stage 2 and
-- evaluation; it records the pair set it trains on and the checkpoints each stage produced.
ALTER TABLE iterations ADD COLUMN pair_set_id uuid;
ALTER TABLE iterations ADD COLUMN box_checkpoint text;
ALTER TABLE iterations ADD COLUMN output_checkpoint text;
