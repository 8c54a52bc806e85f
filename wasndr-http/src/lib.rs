//! The wasndr REST API: the `/api/v1` surface over `wasndr-gateway`, built with axum.
