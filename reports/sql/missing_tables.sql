-- Those of the named tables or views the warehouse does not have.
select required.table_name
from (select unnest($names) as table_name) as required
anti join information_schema.tables as present
    on present.table_name = required.table_name
order by required.table_name
