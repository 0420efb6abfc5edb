//! A simulator of D1 Click to Pay and of the bank's consumer records, over real mutual TLS. The implementation lands with its own issue.
