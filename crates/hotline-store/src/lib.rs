//! Call-log store and shared citizen record. (Issue 5: not built yet.)
