-- The identities whose customer is shown under another name, for the steps that read
-- messages and the opt-in ledger: a BSUID whose customer has a phone number, an old number
-- after a change. Every other contact is its own customer, so for traffic without BSUIDs this
-- is empty and each step's left join changes nothing. The graph is in resolved_identities()
-- (analytics/sql/macros/customer_identities.sql).
select identity as contact, customer
from resolved_identities()
where identity <> customer
