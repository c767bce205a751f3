-- The business's phone numbers: four numbers of two business accounts (WABAs).
select *
from (
    values
        (0, '31208081234', '106540352242922', '102938475610293'),
        (1, '4930726198450', '110239487652331', '102938475610293'),
        (2, '551130423377', '117782093456112', '564738291056473'),
        (3, '13125550142', '123409876543210', '564738291056473')
) as numbers (number_index, business_number, phone_number_id, waba_id)
