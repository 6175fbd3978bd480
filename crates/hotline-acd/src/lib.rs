//! Sans-IO automatic call distribution: queues, agent states, routing. (Issue 6: not built yet.)
