//! Client for the Thales D1 Click to Pay API (mutual TLS, ES256 JWT-bearer tokens). The implementation lands with its own issue.
