//! The wasndr MCP server: the product's tool set over Streamable HTTP and stdio, built with rmcp over
//! `wasndr-gateway`.
