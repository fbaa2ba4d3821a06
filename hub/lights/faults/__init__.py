"""Light faults: pure detectors over one reading and the grouping by power cabinet (detect), the table
(store) and the service that opens, marks seen and closes them."""
