-- window_id identifies one care window.
select window_id, count(*) as care_windows
from care_windows
group by window_id
having count(*) > 1 or window_id is null
