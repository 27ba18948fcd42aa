-- oncall-escalation: the console account (api-gateway username) an on-call person signs in with,
-- so "My on-call" and "Send me a test page" know who the signed-in person is instead of guessing
-- from names (issue #15). The gateway owns accounts: this stores its username, not a foreign key.
-- At most one person per account, whatever its case.

ALTER TABLE oncall.users
    ADD COLUMN console_account text
        CHECK (console_account IS NULL OR console_account ~ '^[A-Za-z0-9][A-Za-z0-9._@-]{0,99}$');
CREATE UNIQUE INDEX users_console_account_key ON oncall.users (lower(console_account))
    WHERE console_account IS NOT NULL;
