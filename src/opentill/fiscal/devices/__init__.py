"""The fiscal-device boundary (issue #13 item 8): one interface for certified hardware or a
cloud signer (:mod:`.base`), the software signer (:mod:`.software`), the simulator that
stands in for a TSE (:mod:`.simulator`, with its network client :mod:`.network`), and the
durable jobs that sign each sale (:mod:`.services`). docs/fiscal.md describes them."""
