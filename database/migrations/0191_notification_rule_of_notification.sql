-- Which personal notification rule of oncall-escalation sent a notification (issue #16): carried on
-- the notify request and shown in the notifications list. NULL for everything else.
ALTER TABLE notification.notifications
    ADD COLUMN notification_rule_id uuid,
    ADD COLUMN notification_rule    text CHECK (char_length(notification_rule) <= 300);
