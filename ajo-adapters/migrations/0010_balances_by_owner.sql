-- One owner's balances without reading every account's: `tick` reads the review
-- accounts' balances for the held-money gauge (`Journal::balances_owned_by`).
CREATE INDEX account_balances_owner ON account_balances ((account->>'owner'));
