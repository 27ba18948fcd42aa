"""The words and bodies the services share (docs/architecture.md, "One vocabulary").

``vocabulary``: severities, incident statuses and their transitions. One module per
service-to-service call, imported by the sender (to build or check its body) and by the receiver
(as its route's model): ``alert_placement`` (ingestion -> incidents), ``escalations`` (incidents
-> on-call), ``timeline`` (on-call -> incidents), ``notifications`` (on-call -> notification).
"""
