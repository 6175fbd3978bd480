//! Agent console, screen-pop WebSocket, supervisor API. (Issue 6: not built yet.)
