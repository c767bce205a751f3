-- Under every regime: a free message costs 0; cost_known says whether a billable message found
-- a rate; a billable message has a charge unit.
select message_id, regime, billable, estimated_cost, cost_known
from message_billing
where (not billable and estimated_cost is distinct from 0)
    or cost_known <> (estimated_cost is not null)
    or (billable and charge_unit is null)
