"""Own-warehouse paperwork (自社出荷): carrier slip CSVs, the tracking-number import, picking list and delivery notes.

Pure writers and readers over plain values (no database): the lead's own-warehouse connector builds
:class:`SlipRequest` values from shipment requests, calls a writer, and feeds :func:`read_tracking` rows
back as shipment results. Layouts and their sources: docs/carrier-slips.md.
"""

from juchu.fulfillment.slips.japanpost import JapanPostAccount, write_yupri
from juchu.fulfillment.slips.model import (
    Cool,
    Sender,
    Service,
    SlipError,
    SlipFile,
    SlipRequest,
    TimeSlot,
    parse_time_slot,
)
from juchu.fulfillment.slips.sagawa import SagawaAccount, write_e_hiden
from juchu.fulfillment.slips.tracking import Carrier, TrackingImport, TrackingRow, read_tracking
from juchu.fulfillment.slips.yamato import B2Account, write_b2

__all__ = [
    "B2Account",
    "Carrier",
    "Cool",
    "JapanPostAccount",
    "SagawaAccount",
    "Sender",
    "Service",
    "SlipError",
    "SlipFile",
    "SlipRequest",
    "TimeSlot",
    "TrackingImport",
    "TrackingRow",
    "parse_time_slot",
    "read_tracking",
    "write_b2",
    "write_e_hiden",
    "write_yupri",
]
