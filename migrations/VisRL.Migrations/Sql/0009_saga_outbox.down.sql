-- 0009 down: the saga outbox.
DROP TABLE outbox_messages;
